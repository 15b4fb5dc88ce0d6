#pragma once
// What left for a fake socket, held against the log: each frame is matched, in order, to the
// notification it renders, so that a test can say "then these frames leave, only after the
// commit that holds their events, in this order" (DESIGN.md rules 3 and 4).
#include <string>
#include <vector>

#include "engine/vocabulary/events.h"
#include "tests/support/live_core.h"

namespace cohort::testing {

// A notification as the log holds it.
struct LoggedNotification {
  Seq seq = 0;
  std::string subject;
  ev::Notification note;
};

// Every notification of the log file, in log order.
std::vector<LoggedNotification> logged_notifications(const std::string& path);

// One frame a socket got.
struct Delivery {
  std::string event;     // the wire event name, "ack" for an ack reply
  Seq seq = 0;           // the position of the notification it was matched to, or for a frame
                         // that matches none, of the last one matched before it (0: none)
  bool matched = false;  // a notification to this socket of this name was found for it
  Seq committed = 0;     // the writer's committed position when the frame was handed to the socket
};

// The socket's frames, each matched to the first notification after the previous match that is
// addressed to the socket (by its conn, or by its subject) and has the frame's wire name (an
// ack: its ack id). Names, not arguments: the server may add to what a notification says (the
// resume token of `registered`, a scene's content), and a frame it sends beside a notification
// (experiment_config after `registered`, terminate_scene before the next activate_scene:
// server/core/client_content.h) matches none and is held to the notification matched before it.
// REQUIRES: `sent` (the socket's frames) was read before `log`, so that the log holds every
// notification a frame of `sent` could render.
std::vector<Delivery> deliveries(const FakeSocket& socket, const std::vector<SentFrame>& sent,
                                 const std::vector<LoggedNotification>& log);
inline std::vector<Delivery> deliveries(const FakeSocket& socket, const std::string& path) {
  std::vector<SentFrame> sent = socket.sent();
  return deliveries(socket, sent, logged_notifications(path));
}

}  // namespace cohort::testing
