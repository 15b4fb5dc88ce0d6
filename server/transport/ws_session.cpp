#include "server/transport/ws_session.h"

#include <algorithm>

#include "engine/vocabulary/json_text.h"
#include "server/json_log.h"
#include "server/secrets.h"
#include "server/transport/recruitment_ids.h"
#include "server/transport/socketio_frame.h"
#include "server/transport/wire_message.h"

namespace cohort {
namespace {

// A reader this far behind is closed: in frames (many small notifications) or in bytes (a few
// large relays), so that one socket that does not read cannot hold more than this in memory.
constexpr std::size_t kMaxQueuedFrames = 4096;
// Bytes: 16 MiB, or four of the largest messages when the config allows larger ones.
constexpr std::size_t kMinQueuedBytes = 16 * 1024 * 1024;
// Seconds in a row over the rate limit before a socket is closed.
constexpr std::int64_t kFloodSeconds = 3;

}  // namespace

WsSession::WsSession(StrandSocket&& socket, std::shared_ptr<ServerContext> context)
    : ws_(std::move(socket)),
      context_(std::move(context)),
      conn_(context_->core.new_conn()),
      sid_(random_hex(10)),
      ping_timer_(ws_.get_executor()) {
  ws_.next_layer().on_gathered([this] { flush_soon(); });
}

void WsSession::hold(ConnectionLimits::Lease connection, ConnectionLimits::Lease seat) {
  connection_lease_ = std::move(connection);
  seat_lease_ = std::move(seat);
}

void WsSession::run(http::request<http::string_body> upgrade) {
  // A handshake deadline, but no WebSocket idle timer: Engine.IO's ping/pong already closes a
  // silent peer, and re-arming that timer on every frame read cost a timer-queue lock each.
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.idle_timeout = websocket::stream_base::none();
  ws_.set_option(timeouts);
  // Frames up to twice the limit are read and answered `too_large`; beyond that the socket closes.
  ws_.read_message_max(static_cast<std::size_t>(context_->config.server.max_message_bytes) * 2 + 4096);
  // Every message this server sends is text, whole: gathered anyway, fragments would only add headers.
  ws_.text(true);
  ws_.auto_fragment(false);
  // WebSocket pings and pongs never reach on_read (Beast answers a ping itself), but they are
  // frames a client sends like any other: counted against the same limit, so that a ping flood
  // is answered rate_limited and closed as any flood is. A close frame ends the socket anyway.
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind != websocket::frame_type::close && !violated_) admit_frame();
  });
  ws_.async_accept(upgrade, beast::bind_front_handler(&WsSession::on_accept, shared_from_this()));
}

void WsSession::on_accept(beast::error_code ec) {
  if (ec) {
    fail(ec, "accept");
    return;
  }
  auto self = shared_from_this();
  net::post(context_->core.dispatcher(), [self] {
    self->context_->core.registry().add_socket(self->conn_, self);
    self->context_->core.metrics().connections(self->context_->core.registry().socket_count());
  });
  const auto& server = context_->config.server;
  queue(sio::open_packet(sid_, server.ping_interval_ms, server.ping_timeout_ms, server.max_message_bytes));
  opened_ = ping_sent_ = std::chrono::steady_clock::now();  // the first ping goes one interval after the open
  arm_ping(std::min(std::chrono::milliseconds(server.ping_interval_ms), std::chrono::milliseconds(server.connect_timeout_ms)));
  do_read();
}

void WsSession::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
}

void WsSession::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    fail(ec, "read");
    finish();
    return;
  }
  bool admitted = admit_frame();
  if (ws_.got_text()) {
    std::string text = beast::buffers_to_string(buffer_.data());
    if (admitted) {
      handle_text(text);
    } else {
      keep_in_step(text);
    }
  } else if (admitted) {
    auto bytes = buffer_.cdata();
    handle_binary(std::string_view(static_cast<const char*>(bytes.data()), bytes.size()));
  } else if (binary_event_) {
    binary_event_->skip();
    if (binary_event_->due() == 0) finish_binary_event();
  }
  buffer_.consume(buffer_.size());
  if (!finished_ && !violated_) do_read();
}

WsSession::Window& WsSession::this_second() {
  auto second = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  if (second != window_.second) window_ = Window{second, 0};
  return window_;
}

// Every frame counts, whatever its kind: Engine.IO pings and pongs, WebSocket control frames,
// binary frames and frames before the namespace connect included. The first frame over the limit in a second is journaled as rate_limited;
// a socket over the limit for kFloodSeconds seconds in a row is closed.
bool WsSession::admit_frame() {
  Window& window = this_second();
  int limit = context_->config.server.rate_limit_per_s;
  if (++window.frames <= limit) return true;
  if (window.frames == limit + 1) {
    if (last_flooded_ != window.second - 1) flooded_since_ = window.second;
    last_flooded_ = window.second;
    if (window.second - flooded_since_ + 1 >= kFloodSeconds) {
      json_log::limited("flood_closed", {{"conn", std::to_string(conn_)}, {"subject", subject_}});
      reject(cmd::Malformed{"", "rate_limited", "over " + std::to_string(limit) + " messages a second for " +
                                                    std::to_string(kFloodSeconds) + " seconds; the connection is closed"},
             std::nullopt);
      violated_ = true;  // nothing more is read
      close_with(websocket::close_code::policy_error);
      return false;
    }
    reject(cmd::Malformed{"", "rate_limited",
                          "more than " + std::to_string(limit) + " messages in a second; the excess is dropped"},
           std::nullopt);
  }
  return false;
}

// A rejection the socket finds itself goes to the engine like any command: it is journaled
// within the socket's budget of rejections (Pipeline::offer).
void WsSession::reject(cmd::Malformed rejection, std::optional<std::int64_t> ack) { submit(std::move(rejection), ack); }

void WsSession::violate_protocol(std::string why) {
  if (violated_) return;
  violated_ = true;
  json_log::limited("protocol_violation", {{"conn", std::to_string(conn_)}, {"subject", subject_}, {"why", why}});
  // Journaled whatever the budget: at most once per socket.
  submit(cmd::Malformed{"", "bad_payload", why + "; the connection is closed"}, std::nullopt);
  close_with(websocket::close_code::protocol_error);
}

void WsSession::close_with(websocket::close_code code) {
  close_when_sent_ = true;
  close_code_ = code;
  flush_soon();
}

// Binary frames are only the attachments a binary event header announced.
void WsSession::handle_binary(std::string_view bytes) {
  if (!binary_event_) {
    violate_protocol("a binary frame that no binary event announced");
    return;
  }
  binary_event_->add(bytes);
  if (binary_event_->due() == 0) finish_binary_event();
}

void WsSession::begin_binary_event(const sio::InboundFrame& header) {
  binary_event_.emplace(header.payload, header.ack_id, header.attachments,
                        sio::BinaryLimits{static_cast<std::size_t>(context_->config.server.max_message_bytes)});
  if (header.kind == sio::FrameKind::binary_ack) {
    binary_event_->drop();  // the server asks clients for no acks
  } else if (header.nsp != "/") {
    binary_event_->refuse("bad_payload", "only the default namespace is served");
  }
  if (binary_event_->due() == 0) finish_binary_event();
}

// A frame dropped over the rate limit is not acted on, but a binary event header or attachment
// is still counted: the attachments that follow are then read and dropped too, rather than taken
// for frames that no header announced.
void WsSession::keep_in_step(std::string_view text) {
  if (binary_event_ || violated_) return;
  sio::InboundFrame frame = sio::parse_frame(text);
  if (frame.kind != sio::FrameKind::binary && frame.kind != sio::FrameKind::binary_ack) return;
  if (!namespace_connected_) return;  // its attachments will break the framing anyway
  binary_event_.emplace(frame.payload, frame.ack_id, frame.attachments, sio::BinaryLimits{});
  binary_event_->drop();
  if (binary_event_->due() == 0) binary_event_.reset();
}

// The event is whole: refused as a text event would be (an answer, or a close if its array is
// not an event), else handled as one, with its attachments.
void WsSession::finish_binary_event() {
  sio::BinaryEvent event = binary_event_->finish();
  binary_event_.reset();
  if (event.dropped) return;  // an ack, or an attachment dropped over the rate limit (already answered)
  if (!event.error_code.empty()) {
    reject(cmd::Malformed{"", event.error_code, event.error_message}, event.ack_id);
    return;
  }
  handle_event(event.array_json, event.ack_id, std::move(event.attachments));
}

void WsSession::handle_text(std::string_view text) {
  if (binary_event_) {
    violate_protocol("a text frame where a binary attachment was due");
    return;
  }
  sio::InboundFrame frame = sio::parse_frame(text);
  switch (frame.kind) {
    case sio::FrameKind::invalid: violate_protocol(std::string(frame.error)); return;
    case sio::FrameKind::pong: awaiting_pong_ = false; return;
    case sio::FrameKind::ping: queue("3"); return;
    case sio::FrameKind::noop:
    case sio::FrameKind::upgrade: return;
    case sio::FrameKind::close: close_with(websocket::close_code::normal); return;
    default: break;
  }
  // Socket.IO packets from here on; the first must be the namespace connect.
  if (!namespace_connected_ && frame.kind != sio::FrameKind::connect) {
    violate_protocol("the first Socket.IO packet must be CONNECT");
    return;
  }
  switch (frame.kind) {
    case sio::FrameKind::connect:
      if (frame.nsp != "/") {
        queue(sio::connect_error(frame.nsp, "Invalid namespace"));
        return;
      }
      namespace_connected_ = true;
      queue(sio::connect_reply(frame.nsp, sid_ + "-io"));
      return;
    case sio::FrameKind::disconnect: close_with(websocket::close_code::normal); return;
    case sio::FrameKind::ack: return;  // the server asks clients for no acks
    case sio::FrameKind::binary:
    case sio::FrameKind::binary_ack: begin_binary_event(frame); return;
    case sio::FrameKind::event:
      if (frame.nsp != "/") {
        reject(cmd::Malformed{"", "bad_payload", "only the default namespace is served"}, frame.ack_id);
        return;
      }
      handle_event(frame.payload, frame.ack_id);
      return;
    default: return;
  }
}

const WsSession::CachedRoute* WsSession::route_to(GameId game) {
  if (route_ && route_->game == game && route_->generation == context_->core.registry().generation()) return &*route_;
  auto fresh = context_->core.registry().route(conn_, game);
  if (!fresh) {
    route_.reset();
    return nullptr;
  }
  route_ = CachedRoute{game, fresh->generation, fresh->seat, {fresh->sockets.begin(), fresh->sockets.end()}};
  return &*route_;
}

// Relays go from this socket's strand straight to the target sockets' strands; where each
// goes and what it says is server/core/relays.h's.
void WsSession::relay(const Relay& message) {
  const CachedRoute* route = route_to(message.game);
  if (!route) {
    JsonObject error;
    error.str("code", "not_in_game")
        .str("message", "this socket holds no seat in game " + std::to_string(message.game))
        .str("event", relay_event_name(message.kind));
    queue(sio::event_frame("error", error.text()));
    return;
  }
  RelayOut out = relay_out(message, route->seat, route->sockets.size());
  for (int seat : out.seats) {
    if (auto target = route->sockets[static_cast<std::size_t>(seat)].lock()) {
      target->send(out.frame);
      context_->core.metrics().relayed();
    }
  }
}

void WsSession::handle_event(std::string_view payload, std::optional<std::int64_t> ack,
                             std::vector<std::string> attachments) {
  const auto& server = context_->config.server;
  WireMessage message = decode_wire_event(payload, server.max_message_bytes, std::move(attachments),
                                          std::min(server.max_message_bytes, server.max_data_bytes_per_message));
  if (message.breaks_framing) {
    violate_protocol(std::get<cmd::Malformed>(std::get<CommandBody>(message.content)).message);
    return;
  }
  if (const auto* relay_message = std::get_if<Relay>(&message.content)) {
    relay(*relay_message);
    return;
  }
  // Neither reads nor changes the state: answered here, journaled nowhere (docs/server.md,
  // "mug's client on the wire"). An ack, if asked for, is answered too, so no client waits.
  if (const auto* reply = std::get_if<Reply>(&message.content)) {
    context_->core.metrics().answered(message.event);
    queue(sio::event_frame(reply->event, reply->args));
    if (ack) queue(sio::ack_frame(*ack, reply->args));
    return;
  }
  if (const auto* dropped = std::get_if<Dropped>(&message.content)) {
    context_->core.metrics().dropped(dropped->event);
    if (ack) queue(sio::ack_frame(*ack, R"({"status":"ok"})"));
    return;
  }
  CommandBody body = std::move(std::get<CommandBody>(message.content));
  if (auto* malformed = std::get_if<cmd::Malformed>(&body)) {
    reject(std::move(*malformed), ack);
    return;
  }
  if (auto* registration = std::get_if<cmd::RegisterSubject>(&body)) {
    KeptRegistration kept =
        keep_recruitment_ids(context_->config.experiment.recruitment, std::move(message.subject_id), message.params);
    if (!kept.error.empty()) {
      reject(cmd::Malformed{"register_subject", "bad_payload", kept.error}, ack);
      return;
    }
    if (!subject_.empty() && subject_ != kept.subject_id) {
      reject(cmd::Malformed{"register_subject", "invalid_state", "this socket is registered as " + subject_}, ack);
      return;
    }
    subject_ = kept.subject_id;
    *registration = resume_tokens_.registration(std::move(message.resume_token));
    registration->params = std::move(kept.params);
  }
  submit(std::move(body), ack, std::move(message.data));
}

void WsSession::submit(CommandBody body, std::optional<std::int64_t> ack, std::optional<DataRecord> data) {
  std::string event(command_name(body));
  auto offered = context_->core.pipeline().offer(Command{0, subject_, conn_, ack, std::move(body)}, std::move(data));
  if (offered != Pipeline::Offer::refused) return;
  JsonObject error;
  error.str("code", "overloaded").str("message", "the server is overloaded; the message was dropped").str("event", event);
  queue(sio::event_frame("error", error.text()));
}

void WsSession::send(std::string frame) {
  net::post(ws_.get_executor(), [self = shared_from_this(), frame = std::move(frame)]() mutable {
    self->queue(frame);
  });
}

void WsSession::send_batch(OutboundBatch batch) {
  net::post(ws_.get_executor(), [self = shared_from_this(), batch = std::move(batch)]() mutable {
    for (OutboundBatch::Frame& frame : batch.frames) {
      if (frame.token_hash) {
        frame.text = sio::event_frame("registered", self->resume_tokens_.registered_args(frame.text, *frame.token_hash));
      }
      self->queue(frame.text, batch.until_written);
    }
    if (batch.close) self->close_with(websocket::close_code::normal);
  });
}

void WsSession::close_after_send(bool going_away) {
  net::post(ws_.get_executor(), [self = shared_from_this(), going_away] {
    self->close_with(going_away ? websocket::close_code::going_away : websocket::close_code::normal);
  });
}

void WsSession::queue(std::string_view frame, std::shared_ptr<const void> until_written) {
  // Not open: Beast has read the client's close and is answering it; no frame may follow that.
  if (finished_ || closing_ || !ws_.is_open()) return;
  GatheredSocket& out = ws_.next_layer();
  std::size_t max_bytes =
      std::max(kMinQueuedBytes, 4 * static_cast<std::size_t>(context_->config.server.max_message_bytes));
  if (frames_gathered_ + frames_in_flight_ >= kMaxQueuedFrames ||
      out.gathered_bytes() + out.in_flight_bytes() + frame.size() > max_bytes) {
    json_log::limited("slow_reader_closed", {{"conn", std::to_string(conn_)}, {"subject", subject_}});
    finish();
    return;
  }
  beast::error_code ec;
  ws_.write(net::buffer(frame), ec);  // framed and gathered; the gathering calls flush_soon
  if (ec) return;                     // the stream has closed or failed: its read finishes the socket
  ++frames_gathered_;
  out.hold(std::move(until_written));
}

void WsSession::flush_soon() {
  if (flush_posted_ || writing_ || finished_) return;  // a write in flight flushes when it is done
  flush_posted_ = true;
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->flush();
  });
}

void WsSession::flush() {
  if (finished_ || writing_) return;
  GatheredSocket& out = ws_.next_layer();
  if (out.gathered_bytes() == 0) {
    if (close_when_sent_ && !closing_) {
      closing_ = true;
      ws_.async_close(close_code_, [self = shared_from_this()](beast::error_code) { self->finish(); });
    }
    return;
  }
  writing_ = true;
  frames_in_flight_ = std::exchange(frames_gathered_, 0);
  net::async_write(out.next_layer(), out.take(), beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
}

void WsSession::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (ec) {
    fail(ec, "write");
    finish();
    return;
  }
  ws_.next_layer().written();
  frames_in_flight_ = 0;
  flush();
}

void WsSession::arm_ping(std::chrono::steady_clock::duration after) {
  ping_timer_.expires_after(after);
  ping_timer_.async_wait(beast::bind_front_handler(&WsSession::on_ping_timer, shared_from_this()));
}

void WsSession::on_ping_timer(beast::error_code ec) {
  if (ec || finished_) return;
  const auto& server = context_->config.server;
  auto now = std::chrono::steady_clock::now();
  auto timeout = std::chrono::milliseconds(server.ping_timeout_ms);
  auto interval = std::chrono::milliseconds(server.ping_interval_ms);
  if (awaiting_pong_ && now >= ping_sent_ + timeout) {  // a missed pong is a disconnect
    json_log::limited("ping_timeout", {{"conn", std::to_string(conn_)}, {"subject", subject_}});
    finish();
    return;
  }
  auto connect_deadline = opened_ + std::chrono::milliseconds(server.connect_timeout_ms);
  if (!namespace_connected_ && now >= connect_deadline) {  // as socket.io's connectTimeout
    json_log::limited("connect_timeout", {{"conn", std::to_string(conn_)}});
    finish();
    return;
  }
  if (!awaiting_pong_ && now >= ping_sent_ + interval) {
    queue(sio::kPing);
    ping_sent_ = now;
    awaiting_pong_ = true;
  }
  auto next = awaiting_pong_ ? ping_sent_ + timeout : ping_sent_ + interval;
  if (!namespace_connected_) next = std::min(next, connect_deadline);
  arm_ping(std::max(next - now, std::chrono::steady_clock::duration(std::chrono::milliseconds(1))));
}

// The one way this session reports an error: a rate-limited log line naming the socket, never
// what it sent. Not for the ordinary ends: the peer closed the socket or went away, or this
// server had already finished it (slow reader, missed pong, flood: each has its own line).
void WsSession::fail(beast::error_code ec, std::string_view what) {
  if (finished_ || ordinary_close(ec) || ec == websocket::error::closed) return;
  json_log::limited("socket_failed", {{"conn", std::to_string(conn_)},
                                      {"subject", subject_},
                                      {"what", std::string(what)},
                                      {"error", ec.message()}});
}

void WsSession::finish() {
  if (finished_) return;
  finished_ = true;
  ping_timer_.cancel();
  ws_.next_layer().drop();
  beast::error_code ignored;
  ws_.next_layer().next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  ws_.next_layer().next_layer().close(ignored);
  if (!context_->stopping && !subject_.empty()) {  // never refused: a lost disconnect would keep the subject "connected"
    context_->core.pipeline().submit(Command{0, subject_, conn_, std::nullopt, cmd::Disconnect{}});
  }
  net::post(context_->core.dispatcher(), [context = context_, conn = conn_] {
    context->core.registry().remove_socket(conn);
    context->core.metrics().connections(context->core.registry().socket_count());
  });
}

void close_all_sockets(ServerContext& context) {
  for (const auto& socket : context.core.registry().all_sockets()) socket->close_after_send(true);
}

}  // namespace cohort
