#pragma once
// One Socket.IO client over WebSocket (Engine.IO v4). Beast: included only by ws_session.cpp and
// the HTTP session that hands an upgrade over (http/http_session.cpp).
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/core/outbound.h"
#include "server/core/resume_tokens.h"
#include "server/server_context.h"
#include "server/transport/binary_event.h"
#include "server/transport/gathered_socket.h"
#include "server/transport/socketio_frame.h"
#include "server/transport/strand_socket.h"

namespace cohort {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

struct Relay;

// Framing, pings, the rate limit and a bounded outbound queue, on the socket's strand: what is
// queued gathers (transport/gathered_socket.h) and leaves in one write per turn of the strand,
// or as soon as the write before it is done. Commands
// go to the pipeline; relays go from this socket's strand straight to the partners' sockets
// (their strands), by the route the registry holds, never through the log or the dispatcher.
class WsSession : public Outbound, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(StrandSocket&& socket, std::shared_ptr<ServerContext> context);
  // Keeps the TCP connection's place and the participant's seat for as long as the socket lives.
  void hold(ConnectionLimits::Lease connection, ConnectionLimits::Lease seat);
  void run(http::request<http::string_body> upgrade);
  void send(std::string frame) override;
  void send_batch(OutboundBatch batch) override;
  void close_after_send(bool going_away) override;

 private:
  void on_accept(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void handle_text(std::string_view text);
  void handle_binary(std::string_view bytes);
  // A binary event header: its attachments are read next (binary_event.h).
  void begin_binary_event(const sio::InboundFrame& header);
  void finish_binary_event();
  void keep_in_step(std::string_view dropped_text);
  void handle_event(std::string_view payload, std::optional<std::int64_t> ack,
                    std::vector<std::string> attachments = {});
  void submit(CommandBody body, std::optional<std::int64_t> ack, std::optional<DataRecord> data = std::nullopt);
  // Every inbound frame counts against the rate limit; false when this one is over it.
  bool admit_frame();
  void reject(cmd::Malformed rejection, std::optional<std::int64_t> ack);
  // The frame broke the Engine.IO/Socket.IO framing: journal it (once per socket) and close,
  // as the specs require.
  void violate_protocol(std::string why);
  // The route of this socket's relays into `game`, looked up again only when the registry
  // changed since (nullptr: this socket holds no seat in it).
  struct CachedRoute {
    GameId game = kNoGame;
    std::uint64_t generation = 0;
    int seat = -1;
    std::vector<std::weak_ptr<Outbound>> sockets;  // weak: a closed partner is not kept alive
  };
  const CachedRoute* route_to(GameId game);
  void relay(const Relay& message);
  // `until_written` is let go of once the frame is written.
  void queue(std::string_view frame, std::shared_ptr<const void> until_written = nullptr);
  // A write of what has gathered, at the end of this turn of the strand (or when the write in
  // flight is done).
  void flush_soon();
  // Writes what has gathered; with nothing gathered and a close asked for, starts the close.
  void flush();
  void on_write(beast::error_code ec, std::size_t bytes);
  void arm_ping(std::chrono::steady_clock::duration after);
  void on_ping_timer(beast::error_code ec);
  void close_with(websocket::close_code code);
  // A handshake, read or write failed: reported unless the peer or the server merely closed
  // the socket, then the socket is finished.
  void fail(beast::error_code ec, std::string_view what);
  // The socket is gone: tell the engine once, and drop it from the registry.
  void finish();

  // What this socket sent in the current second.
  struct Window {
    std::int64_t second = 0;
    int frames = 0;
  };
  Window& this_second();

  websocket::stream<GatheredSocket> ws_;
  beast::flat_buffer buffer_;
  std::shared_ptr<ServerContext> context_;
  ConnId conn_;
  std::string sid_;
  std::string subject_;  // the subject this socket registered as
  ResumeTokens resume_tokens_;  // the plain tokens this socket drew or was shown, by hash
  bool namespace_connected_ = false;
  bool violated_ = false;            // a framing violation was seen: nothing more is read
  std::optional<sio::BinaryAssembly> binary_event_;  // a binary event whose attachments are due
  std::size_t frames_gathered_ = 0;   // queued, not yet written
  std::size_t frames_in_flight_ = 0;  // in the write in flight
  bool flush_posted_ = false;
  bool writing_ = false;
  bool close_when_sent_ = false;
  bool closing_ = false;  // the close frame is written: nothing more is queued
  websocket::close_code close_code_ = websocket::close_code::normal;
  bool finished_ = false;
  net::steady_timer ping_timer_;
  std::chrono::steady_clock::time_point opened_;
  std::chrono::steady_clock::time_point ping_sent_;
  bool awaiting_pong_ = false;
  std::optional<CachedRoute> route_;
  Window window_;
  ConnectionLimits::Lease connection_lease_, seat_lease_;
  std::int64_t flooded_since_ = -1;  // first second of a run of seconds over the rate limit
  std::int64_t last_flooded_ = -1;
};

}  // namespace cohort
