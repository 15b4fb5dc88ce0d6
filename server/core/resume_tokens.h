#pragma once
// What one socket knows of resume tokens in plain text. The log and the engine see only their
// hashes (DESIGN.md rule 10; store/token_hash.h), so the socket is the one place a token is
// known: it draws one for each register_subject (a first registration keeps it), hashes the
// one its client presented, and keeps both, by hash, until the engine's `registered` answer
// comes back with the subject's hash: the frame it sends then carries the token with that
// hash. A registration that takes a subject over without its token is given the token drawn
// for it (the engine reissues: resume_token_reissued). The token of the socket's own subject
// stays known to it, for a register_subject it sends again. Not thread-safe: one socket's strand owns it.
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "engine/vocabulary/commands.h"

namespace cohort {

class ResumeTokens {
 public:
  // The command for a register_subject whose client presented `presented` (nullopt: none).
  cmd::RegisterSubject registration(std::optional<std::string> presented);
  // The `registered` args, with `"resume_token"` added when this socket knows the token whose
  // hash the subject holds.
  std::string registered_args(std::string_view args, std::string_view subject_hash);

 private:
  using Known = std::pair<std::string, std::string>;  // hash, token
  static constexpr std::size_t kPending = 8;           // registrations in flight remembered
  std::deque<Known> pending_;                           // newest last
  std::optional<Known> held_;                           // the subject's, once a frame carried it
};

}  // namespace cohort
