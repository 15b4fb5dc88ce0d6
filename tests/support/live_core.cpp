#include "tests/support/live_core.h"

#include <boost/asio/post.hpp>

#include <future>
#include <stdexcept>

#include "engine/vocabulary/record_codec.h"
#include "history/rebuild.h"
#include "server/transport/socketio_frame.h"
#include "server/transport/wire_message.h"
#include "store/log_reader.h"

namespace cohort::testing {

void FakeSocket::send(std::string frame) {
  // Read before the frame is kept: the position a frame notes is one its delivery had seen.
  Seq committed = committed_ ? committed_() : 0;
  {
    std::lock_guard lock(mutex_);
    frames_.push_back(SentFrame{std::move(frame), committed});
  }
  arrived_.notify_all();
}

void FakeSocket::send_batch(OutboundBatch batch) {
  for (OutboundBatch::Frame& frame : batch.frames) {
    if (frame.token_hash) {
      std::lock_guard lock(mutex_);
      frame.text = sio::event_frame("registered", tokens_.registered_args(frame.text, *frame.token_hash));
    }
    send(std::move(frame.text));
  }
  if (batch.close) close_after_send(false);
}

cmd::RegisterSubject FakeSocket::registration(std::optional<std::string> token) {
  std::lock_guard lock(mutex_);
  return tokens_.registration(std::move(token));
}

void FakeSocket::close_after_send(bool) {
  std::lock_guard lock(mutex_);
  closed_ = true;
}

std::vector<std::string> FakeSocket::frames() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> texts;
  texts.reserve(frames_.size());
  for (const SentFrame& frame : frames_) texts.push_back(frame.text);
  return texts;
}

std::vector<SentFrame> FakeSocket::sent() const {
  std::lock_guard lock(mutex_);
  return frames_;
}

bool FakeSocket::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

std::optional<std::string> FakeSocket::wait_for(const std::string& needle, std::size_t from,
                                                std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  std::optional<std::string> found;
  arrived_.wait_for(lock, timeout, [&] {
    for (std::size_t i = from; i < frames_.size(); ++i) {
      if (frames_[i].text.find(needle) != std::string::npos) {
        found = frames_[i].text;
        return true;
      }
    }
    return false;
  });
  return found;
}

LiveCore::LiveCore(const Config& config)
    : path_(config.server.db),
      max_message_bytes_(config.server.max_message_bytes),
      max_data_bytes_(std::min(config.server.max_message_bytes, config.server.max_data_bytes_per_message)),
      work_(boost::asio::make_work_guard(io_)) {
  core_ = std::make_unique<ServerCore>(io_, config, [this](const std::string& error) {
    std::lock_guard lock(mutex_);
    fatal_ = error;
  });
  thread_ = std::thread([this] { io_.run(); });
}

LiveCore::~LiveCore() {
  core_->stop();
  settle();
  work_.reset();
  io_.stop();
  thread_.join();
}

std::shared_ptr<FakeSocket> LiveCore::connect() {
  auto socket = std::make_shared<FakeSocket>(core_->new_conn(), [this] { return committed(); });
  sockets_.push_back(socket);
  std::promise<void> added;
  boost::asio::post(core_->dispatcher(), [&] {
    core_->registry().add_socket(socket->conn(), socket);
    added.set_value();
  });
  added.get_future().wait();
  return socket;
}

void LiveCore::send(FakeSocket& socket, CommandBody body, std::optional<std::int64_t> ack) {
  core_->pipeline().submit(Command{0, socket.subject, socket.conn(), ack, std::move(body)});
}

void LiveCore::receive(FakeSocket& socket, std::string_view frame, std::vector<std::string> attachments) {
  sio::InboundFrame inbound = sio::parse_frame(frame);
  if (inbound.kind != sio::FrameKind::event && inbound.kind != sio::FrameKind::binary) {
    throw std::invalid_argument("not an event frame: " + std::string(frame));
  }
  WireMessage message = decode_wire_event(inbound.payload, max_message_bytes_, std::move(attachments), max_data_bytes_);
  if (message.breaks_framing || std::holds_alternative<Relay>(message.content)) {
    throw std::invalid_argument("not for the core: " + std::string(frame));
  }
  CommandBody body = std::move(std::get<CommandBody>(message.content));
  if (auto* registration = std::get_if<cmd::RegisterSubject>(&body)) {
    socket.subject = message.subject_id;
    *registration = socket.registration(std::move(message.resume_token));
  }
  core_->pipeline().offer(Command{0, socket.subject, socket.conn(), inbound.ack_id, std::move(body)}, std::move(message.data));
}

void LiveCore::register_subject(FakeSocket& socket, const std::string& subject, std::optional<std::string> token) {
  socket.subject = subject;
  send(socket, socket.registration(std::move(token)));
}

void LiveCore::disconnect(FakeSocket& socket) {
  send(socket, cmd::Disconnect{});
  boost::asio::post(core_->dispatcher(), [this, conn = socket.conn()] { core_->registry().remove_socket(conn); });
}

void LiveCore::settle() {
  // Deliveries are posted to the dispatcher in commit order, so a marker posted after the
  // commits comes after them.
  core_->pipeline().flush();
  std::promise<void> delivered;
  boost::asio::post(core_->dispatcher(), [&] { delivered.set_value(); });
  delivered.get_future().wait();
}

std::optional<std::string> LiveCore::fatal() const {
  std::lock_guard lock(mutex_);
  return fatal_;
}

SessionMap state_from_log(const std::string& path, std::shared_ptr<const Experiment> experiment) {
  LogReader reader(path);
  Projector projector(std::move(experiment));
  rebuild(reader, projector);
  return projector.map;
}

RoutingTable routing_from_log(const std::string& path, std::shared_ptr<const Experiment> experiment) {
  LogReader reader(path);
  RoutingTable table = RoutingTable::of(SessionMap(std::move(experiment)));
  reader.scan(1, [&](const RecordView& record, std::uint64_t) {
    if (record.kind == RecordKind::event) table.follow(event_from_record(record));
    return true;
  });
  return table;
}

}  // namespace cohort::testing
