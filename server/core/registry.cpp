#include "server/core/registry.h"

#include <algorithm>

namespace cohort {

void Registry::add_socket(ConnId conn, std::weak_ptr<Outbound> socket) {
  WriterLock lock(mutex_);
  sockets_[conn] = std::move(socket);
  generation_.fetch_add(1, std::memory_order_release);
}

void Registry::remove_socket(ConnId conn) {
  WriterLock lock(mutex_);
  sockets_.erase(conn);
  generation_.fetch_add(1, std::memory_order_release);
}

std::size_t Registry::socket_count() const {
  ReaderLock lock(mutex_);
  return sockets_.size();
}

void Registry::seed(const SessionMap& state) {
  RoutingTable table = RoutingTable::of(state);
  WriterLock lock(mutex_);
  routing_ = std::move(table);
  generation_.fetch_add(1, std::memory_order_release);
}

void Registry::follow(const Event& event) {
  // Most events route nothing: skip the lock for them.
  const EventBody& body = event.body;
  if (!std::holds_alternative<ev::SubjectConnected>(body) && !std::holds_alternative<ev::SubjectDisconnected>(body) &&
      !std::holds_alternative<ev::SubjectAbsent>(body) &&
      !std::holds_alternative<ev::GameCreated>(body) && !std::holds_alternative<ev::GameEnded>(body) &&
      !std::holds_alternative<ev::SubjectRegistered>(body) && !std::holds_alternative<ev::ResumeTokenReissued>(body)) {
    return;
  }
  WriterLock lock(mutex_);
  if (routing_.follow(event)) generation_.fetch_add(1, std::memory_order_release);
}

RoutingTable Registry::routing() const {
  ReaderLock lock(mutex_);
  return routing_;
}

std::string Registry::resume_token_hash(const std::string& subject) const {
  ReaderLock lock(mutex_);
  auto it = routing_.resume_token_hashes.find(subject);
  return it == routing_.resume_token_hashes.end() ? std::string() : it->second;
}

std::shared_ptr<Outbound> Registry::socket_locked(ConnId conn) const {
  auto it = sockets_.find(conn);
  return it == sockets_.end() ? nullptr : it->second.lock();
}

std::shared_ptr<Outbound> Registry::socket(ConnId conn) const {
  ReaderLock lock(mutex_);
  return socket_locked(conn);
}

std::shared_ptr<Outbound> Registry::socket_of(const std::string& subject) const {
  ReaderLock lock(mutex_);
  auto it = routing_.conn_of_subject.find(subject);
  return it == routing_.conn_of_subject.end() ? nullptr : socket_locked(it->second);
}

std::optional<RelayRoute> Registry::route(ConnId from, GameId game) const {
  ReaderLock lock(mutex_);
  auto subject = routing_.subject_of_conn.find(from);
  auto room = routing_.rooms.find(game);
  if (subject == routing_.subject_of_conn.end() || room == routing_.rooms.end()) return std::nullopt;
  auto seat = std::find(room->second.begin(), room->second.end(), subject->second);
  if (seat == room->second.end()) return std::nullopt;
  RelayRoute route;
  route.generation = generation_.load(std::memory_order_acquire);
  route.seat = static_cast<int>(seat - room->second.begin());
  for (const std::string& player : room->second) {
    auto conn = routing_.conn_of_subject.find(player);
    route.sockets.push_back(conn == routing_.conn_of_subject.end() ? nullptr : socket_locked(conn->second));
  }
  return route;
}

std::vector<std::shared_ptr<Outbound>> Registry::all_sockets() const {
  ReaderLock lock(mutex_);
  std::vector<std::shared_ptr<Outbound>> out;
  for (const auto& [conn, weak] : sockets_) {
    if (auto socket = weak.lock()) out.push_back(std::move(socket));
  }
  return out;
}

}  // namespace cohort
