#pragma once
// The "then" of the core's tests (Catch2), as the decider tests' `messages_to`: the frames that
// left for a socket, by wire event name, each checked to render a notification to that socket
// in the log, in log order, and to have left only once the writer had committed it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/delivered.h"

namespace cohort::testing {

// The names of the socket's frames from index `from` on ("ack" for an ack reply). Every frame
// it ever got is checked: one that left before any logged notification to it, or before the
// writer had committed the notification it was matched to (or, for a frame the server adds
// beside a notification, the one matched before it), fails the test.
// REQUIRES: `frames` (the socket's) were read before `log` from the log file.
inline std::vector<std::string> frames_after_commit(const FakeSocket& socket, const std::vector<SentFrame>& frames,
                                                    const std::vector<LoggedNotification>& log, std::size_t from = 0) {
  std::vector<std::string> names;
  std::vector<Delivery> sent = deliveries(socket, frames, log);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const Delivery& delivery = sent[i];
    if (delivery.seq == 0) {
      FAIL_CHECK("conn " << socket.conn() << " frame " << i << " (" << delivery.event
                         << ") left before any logged notification to the socket");
    } else if (delivery.committed < delivery.seq) {
      FAIL_CHECK("conn " << socket.conn() << " frame " << i << " (" << delivery.event << ", notification at seq "
                         << delivery.seq << ") left when the writer had committed up to seq " << delivery.committed);
    }
    if (i >= from) names.push_back(delivery.event);
  }
  return names;
}

// The same, once everything submitted so far is decided, committed and delivered.
inline std::vector<std::string> frames_to(LiveCore& live, const FakeSocket& socket, std::size_t from = 0) {
  live.settle();
  std::vector<SentFrame> frames = socket.sent();  // before the log: a frame that leaves meanwhile is not in it
  return frames_after_commit(socket, frames, logged_notifications(live.log_path()), from);
}

}  // namespace cohort::testing
