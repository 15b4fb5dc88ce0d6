#include "server/http/sse_stream.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/write.hpp>

namespace cohort {

namespace net = boost::asio;

SseStream::SseStream(net::ip::tcp::socket socket) : socket_(std::move(socket)) {}

void SseStream::start() {
  net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
    self->write_next();
    self->watch();
  });
}

void SseStream::publish(std::shared_ptr<const std::string> data) {
  {
    std::lock_guard lock(mutex_);
    pending_ = std::move(data);
  }
  net::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->write_next(); });
}

// On the socket's strand.
void SseStream::write_next() {
  if (write_in_flight_ || closed_) return;
  if (!head_sent_) {
    // No length: the body is the stream of events until either side closes.
    writing_ = "HTTP/1.1 200 OK\r\nServer: cohort\r\nContent-Type: text/event-stream\r\n"
               "Cache-Control: no-store\r\nConnection: close\r\n\r\nretry: 1000\n\n";
    head_sent_ = true;
  } else {
    std::shared_ptr<const std::string> data;
    {
      std::lock_guard lock(mutex_);
      data = std::move(pending_);
    }
    if (!data) return;
    writing_ = "data: " + *data + "\n\n";
  }
  write_in_flight_ = true;
  net::async_write(socket_, net::buffer(writing_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
    self->write_in_flight_ = false;
    if (ec) return self->close();
    self->write_next();
  });
}

void SseStream::watch() {
  socket_.async_read_some(net::buffer(sink_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
    if (ec) return self->close();
    self->watch();
  });
}

void SseStream::close() {
  if (closed_.exchange(true)) return;
  boost::system::error_code ignored;
  socket_.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace cohort
