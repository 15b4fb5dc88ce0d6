#pragma once
// The one Asio timer of the server: armed for the earliest deadline of the state (DESIGN.md
// rule 5). Deadlines are wall-clock times, as the log keeps them; the wait is measured on the
// monotonic clock, so a step of the system clock (NTP, an administrator) neither fires a
// deadline early nor holds it back. Firing only submits a timer command: the engine decides
// what is due, and a wake-up that comes early is answered by arming again.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <functional>
#include <optional>

#include "engine/vocabulary/ids.h"

namespace cohort {

class DeadlineTimer {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  // `on_due` runs on `strand` when the armed time comes.
  DeadlineTimer(Strand strand, std::function<void()> on_due);
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Any thread: replaces what was armed; nullopt disarms.
  void arm(std::optional<Millis> wall_clock_at);
  // Any thread: disarms for good (the server is stopping).
  void cancel();
  // What was armed last (nullopt: nothing), as a wall-clock time.
  std::optional<Millis> armed_at() const;

 private:
  Strand strand_;
  boost::asio::steady_timer timer_;
  std::function<void()> on_due_;
  bool cancelled_ = false;  // strand only
  std::atomic<Millis> armed_at_{0};  // 0: nothing armed
};

}  // namespace cohort
