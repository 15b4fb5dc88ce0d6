#pragma once
// The layer under a participant's WebSocket stream (transport/ws_session.h): reads go straight to
// the TCP socket; what the stream writes (its frames, the 101 answer, pongs, the close frame) is
// gathered in memory instead, and the session writes all that has gathered in one system call.
// A match notifies a socket of several events at once, each its own WebSocket message; written
// one by one they cost a sendmsg each (issue 20). Beast frames every message as usual: only the
// system call is shared. Included by ws_session.h alone; Beast's teardown finds the overloads
// below by argument-dependent lookup.
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "server/transport/strand_socket.h"

namespace cohort {

class GatheredSocket {
 public:
  using executor_type = IoStrand;
  using next_layer_type = StrandSocket;

  explicit GatheredSocket(StrandSocket&& socket) : socket_(std::move(socket)) {}

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  StrandSocket& next_layer() noexcept { return socket_; }

  // Called, on the strand, whenever bytes gather: the owner arranges a write (soon, so that
  // what else gathers in this turn of the strand goes with them).
  void on_gathered(std::function<void()> hook) { on_gathered_ = std::move(hook); }

  // Reads: the socket's own.
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    return socket_.read_some(buffers, ec);
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    return socket_.read_some(buffers);
  }
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return socket_.async_read_some(buffers, std::forward<Token>(token));
  }

  // Writes: gathered whole, never failing, never blocking.
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
    ec = {};
    return gather(buffers);
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers) {
    return gather(buffers);
  }
  // Beast's own writes (the 101, pongs, the close frame) complete once the owner's write that
  // carries them is done, as on a socket: Beast tears the socket down right after a close frame,
  // which must be out first, and answers no further ping until its pong is out, so a client that
  // pings and never reads cannot make pongs gather without end.
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return net::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& gathered) {
          std::size_t bytes = dropped_ ? 0 : gather(gathered);
          // std::function copies: the handler is held once, behind a shared_ptr.
          auto held = std::make_shared<decltype(handler)>(std::move(handler));
          Waiter done = [this, held, bytes](boost::system::error_code ec) {
            net::post(socket_.get_executor(), boost::beast::bind_front_handler(std::move(*held), ec, ec ? 0 : bytes));
          };
          if (dropped_) {
            done(net::error::operation_aborted);
          } else if (bytes == 0) {
            done({});
          } else {
            waiting_.push_back(std::move(done));
          }
        },
        token, buffers);
  }

  std::size_t gathered_bytes() const { return gathered_.size(); }
  // Held until what has gathered so far is written (or dropped).
  void hold(std::shared_ptr<const void> until_written) {
    if (until_written) held_.push_back(std::move(until_written));
  }
  // What has gathered, for one write; it stays valid until `written`. REQUIRES: no write in flight.
  net::const_buffer take() {
    in_flight_.swap(gathered_);
    gathered_.clear();
    held_in_flight_.swap(held_);
    held_.clear();
    waiting_in_flight_.swap(waiting_);
    waiting_.clear();
    return net::buffer(in_flight_);
  }
  std::size_t in_flight_bytes() const { return in_flight_.size(); }
  // The write of what `take` gave is done: what it held is let go, the writes it carried complete.
  void written() {
    in_flight_.clear();
    held_in_flight_.clear();
    complete(waiting_in_flight_, {});
  }
  // The socket is finished: nothing more goes out, and Beast's writes fail. What a write has in
  // flight stays untouched (the kernel may still be reading it, from another thread) until that
  // write ends.
  void drop() {
    dropped_ = true;
    gathered_.clear();
    held_.clear();
    held_in_flight_.clear();
    complete(waiting_, net::error::operation_aborted);
    complete(waiting_in_flight_, net::error::operation_aborted);
  }

 private:
  template <class ConstBuffers>
  std::size_t gather(const ConstBuffers& buffers) {
    std::size_t bytes = 0;
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers); ++it) {
      net::const_buffer buffer(*it);
      gathered_.append(static_cast<const char*>(buffer.data()), buffer.size());
      bytes += buffer.size();
    }
    if (bytes > 0 && on_gathered_) on_gathered_();
    return bytes;
  }

  using Waiter = std::function<void(boost::system::error_code)>;
  static void complete(std::vector<Waiter>& waiters, boost::system::error_code ec) {
    std::vector<Waiter> done;
    done.swap(waiters);
    for (Waiter& waiter : done) waiter(ec);
  }

  StrandSocket socket_;
  std::function<void()> on_gathered_;
  bool dropped_ = false;
  std::vector<Waiter> waiting_, waiting_in_flight_;  // Beast's writes, gathered / in the write in flight
  std::string gathered_, in_flight_;  // swapped, so that their capacity is reused
  std::vector<std::shared_ptr<const void>> held_, held_in_flight_;
};

// The close handshake's end, as Beast does it for a TCP socket. What a write still has in flight
// then is lost: the peer has closed, or is being closed.
inline void teardown(boost::beast::role_type role, GatheredSocket& socket, boost::system::error_code& ec) {
  boost::beast::websocket::teardown(role, socket.next_layer(), ec);
}

template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, GatheredSocket& socket, TeardownHandler&& handler) {
  boost::beast::websocket::async_teardown(role, socket.next_layer(), std::forward<TeardownHandler>(handler));
}

}  // namespace cohort
