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
  // Sends what is queued, then closes: a normal close, or going-away when the server stops.
  virtual void close_after_send(bool going_away = false) = 0;
};

}  // namespace cohort
