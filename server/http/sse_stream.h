#pragma once
// One server-sent-events response held open: the dashboard's live feed. Only the newest
// unsent update is kept, so a slow or stalled browser costs one update's memory, not a queue.
#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>

namespace cohort {

class SseStream : public std::enable_shared_from_this<SseStream> {
 public:
  explicit SseStream(boost::asio::ip::tcp::socket socket);
  // Writes the response head, then watches the socket for the browser going away.
  void start();
  // Any thread. `data` is one line of JSON; it replaces an update not yet written.
  void publish(std::shared_ptr<const std::string> data);
  bool closed() const { return closed_; }

 private:
  void write_next();
  void watch();
  void close();

  boost::asio::ip::tcp::socket socket_;
  std::mutex mutex_;
  std::shared_ptr<const std::string> pending_;  // the newest update not yet written
  std::string writing_;                         // the bytes of the write in flight
  bool head_sent_ = false;
  bool write_in_flight_ = false;
  std::atomic<bool> closed_{false};
  std::array<char, 512> sink_{};                // what the browser sends (nothing, until it closes)
};

}  // namespace cohort
