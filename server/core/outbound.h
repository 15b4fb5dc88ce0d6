#pragma once
// What a socket session offers to the rest of the server: a way to send it text frames, and
// to close it. Keeps the pipeline and the registry free of Beast types.
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cohort {

// One socket's share of what one commit notifies, in order.
struct OutboundBatch {
  struct Frame {
    std::string text;  // a whole Socket.IO frame; with `token_hash` set, the args of `registered`
    // The `registered` answer to this socket's register_subject: `text` holds its args as the log
    // holds them (no token), and this the hash of the subject's resume token. The socket sends
    // them with the token in plain text when it knows the one with that hash (it drew it, or its
    // client presented it), without one otherwise (server/core/resume_tokens.h).
    std::optional<std::string> token_hash;
  };
  std::vector<Frame> frames;
  bool close = false;  // a normal close once the frames are sent
  // Held until the frames have been written to the socket (or dropped with it): a match's
  // clock (core/metrics.h) stops when the last socket lets go of it.
  std::shared_ptr<const void> until_written;
};

class Outbound {
 public:
  virtual ~Outbound() = default;
  // Thread-safe; the frame is queued on the session's strand.
  virtual void send(std::string frame) = 0;
  // Thread-safe; the frames are queued in one turn of the session's strand, so that they leave
  // in one write.
  virtual void send_batch(OutboundBatch batch) = 0;
  // Sends what is queued, then closes: a normal close, or going-away when the server stops.
  virtual void close_after_send(bool going_away = false) = 0;
};

}  // namespace cohort
