#include "server/core/resume_tokens.h"

#include "engine/vocabulary/json_text.h"
#include "server/secrets.h"
#include "store/token_hash.h"

namespace cohort {
namespace {

// 128 bits: as hard to guess as the admin tokens the server draws.
constexpr std::size_t kTokenBytes = 16;

}  // namespace

cmd::RegisterSubject ResumeTokens::registration(std::optional<std::string> presented) {
  std::string issued = random_hex(kTokenBytes);
  cmd::RegisterSubject command{std::nullopt, token_hash(issued)};
  if (pending_.size() + 2 > kPending) pending_.erase(pending_.begin(), pending_.begin() + 2);
  pending_.emplace_back(command.issued_token_hash, std::move(issued));
  if (presented) {
    command.resume_token_hash = token_hash(*presented);
    pending_.emplace_back(*command.resume_token_hash, std::move(*presented));
  }
  return command;
}

std::string ResumeTokens::registered_args(std::string_view args, std::string_view subject_hash) {
  if (!held_ || held_->first != subject_hash) {
    for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
      if (it->first == subject_hash) {
        held_ = *it;
        break;
      }
    }
  }
  if (subject_hash.empty() || !held_ || held_->first != subject_hash || !args.starts_with('{')) return std::string(args);
  JsonObject token;
  token.str("resume_token", held_->second);
  std::string member = token.text();  // {"resume_token":"..."}
  member.pop_back();
  std::string_view rest = args.substr(1);
  return member + (rest.starts_with('}') ? "" : ",") + std::string(rest);
}

}  // namespace cohort
