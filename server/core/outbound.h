#pragma once
// What a socket session offers to the rest of the server: a way to send it a text frame, and
// to close it. Keeps the pipeline and the registry free of Beast types.
#include <memory>
#include <string>

namespace cohort {

class Outbound {
 public:
  virtual ~Outbound() = default;
  // Thread-safe; the frame is queued on the session's strand.
  virtual void send(std::string frame) = 0;
  // The `registered` answer to this socket's register_subject: its args as the log holds them
  // (no token), and the hash of the subject's resume token. The socket sends them with the
  // token in plain text when it knows the one with that hash (it drew it, or its client
  // presented it), without one otherwise (server/core/resume_tokens.h). Thread-safe.
  virtual void send_registered(std::string args, std::string token_hash) = 0;
  // Sends what is queued, then closes: a normal close, or going-away when the server stops.
  virtual void close_after_send(bool going_away = false) = 0;
};

}  // namespace cohort
