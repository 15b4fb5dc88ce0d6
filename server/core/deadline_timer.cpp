#include "server/core/deadline_timer.h"

#include <boost/asio/post.hpp>

#include <chrono>

namespace cohort {

DeadlineTimer::DeadlineTimer(Strand strand, std::function<void()> on_due)
    : strand_(strand), timer_(strand), on_due_(std::move(on_due)) {}

void DeadlineTimer::arm(std::optional<Millis> wall_clock_at) {
  armed_at_.store(wall_clock_at.value_or(0), std::memory_order_release);
  // The delay is read off the wall clock once, now; from here on only the steady clock counts.
  std::optional<std::chrono::milliseconds> delay;
  if (wall_clock_at) {
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    delay = std::max(std::chrono::milliseconds(0), std::chrono::milliseconds(*wall_clock_at) - now);
  }
  boost::asio::post(strand_, [this, delay] {
    timer_.cancel();
    if (!delay || cancelled_) return;
    timer_.expires_after(*delay);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && !cancelled_) on_due_();
    });
  });
}

std::optional<Millis> DeadlineTimer::armed_at() const {
  Millis at = armed_at_.load(std::memory_order_acquire);
  return at ? std::optional<Millis>(at) : std::nullopt;
}

void DeadlineTimer::cancel() {
  armed_at_.store(0, std::memory_order_release);
  boost::asio::post(strand_, [this] {
    cancelled_ = true;
    timer_.cancel();
  });
}

}  // namespace cohort
