#include "server/registry.h"

#include <algorithm>
#include <mutex>

namespace cohort {

void Registry::add_socket(ConnId conn, std::weak_ptr<Outbound> socket) {
  std::unique_lock lock(mutex_);
  sockets_[conn] = std::move(socket);
  generation_.fetch_add(1, std::memory_order_release);
}

void Registry::remove_socket(ConnId conn) {
  std::unique_lock lock(mutex_);
  sockets_.erase(conn);
  generation_.fetch_add(1, std::memory_order_release);
}

std::size_t Registry::socket_count() const {
  std::shared_lock lock(mutex_);
  return sockets_.size();
}

void Registry::follow(const Event& event) {
  if (!std::holds_alternative<ev::SubjectConnected>(event.body) &&
      !std::holds_alternative<ev::SubjectDisconnected>(event.body) &&
      !std::holds_alternative<ev::GameCreated>(event.body) && !std::holds_alternative<ev::GameEnded>(event.body)) {
    return;
  }
  std::unique_lock lock(mutex_);
  generation_.fetch_add(1, std::memory_order_release);
  if (const auto* connected = std::get_if<ev::SubjectConnected>(&event.body)) {
    if (connected->replaced_conn) subject_of_conn_.erase(connected->replaced_conn);
    conn_of_subject_[event.subject] = connected->conn;
    subject_of_conn_[connected->conn] = event.subject;
  } else if (const auto* gone = std::get_if<ev::SubjectDisconnected>(&event.body)) {
    auto it = conn_of_subject_.find(event.subject);
    if (it != conn_of_subject_.end() && it->second == gone->conn) conn_of_subject_.erase(it);
    subject_of_conn_.erase(gone->conn);
  } else if (const auto* created = std::get_if<ev::GameCreated>(&event.body)) {
    rooms_[event.game] = created->players;
  } else {
    rooms_.erase(event.game);  // the relay room closes with the game
  }
}

std::shared_ptr<Outbound> Registry::socket_locked(ConnId conn) const {
  auto it = sockets_.find(conn);
  return it == sockets_.end() ? nullptr : it->second.lock();
}

std::shared_ptr<Outbound> Registry::socket(ConnId conn) const {
  std::shared_lock lock(mutex_);
  return socket_locked(conn);
}

std::shared_ptr<Outbound> Registry::socket_of(const std::string& subject) const {
  std::shared_lock lock(mutex_);
  auto it = conn_of_subject_.find(subject);
  return it == conn_of_subject_.end() ? nullptr : socket_locked(it->second);
}

std::optional<RelayRoute> Registry::route(ConnId from, GameId game) const {
  std::shared_lock lock(mutex_);
  auto subject = subject_of_conn_.find(from);
  auto room = rooms_.find(game);
  if (subject == subject_of_conn_.end() || room == rooms_.end()) return std::nullopt;
  auto seat = std::find(room->second.begin(), room->second.end(), subject->second);
  if (seat == room->second.end()) return std::nullopt;
  RelayRoute route;
  route.generation = generation_.load(std::memory_order_acquire);
  route.seat = static_cast<int>(seat - room->second.begin());
  for (const std::string& player : room->second) {
    auto conn = conn_of_subject_.find(player);
    route.sockets.push_back(conn == conn_of_subject_.end() ? nullptr : socket_locked(conn->second));
  }
  return route;
}

std::vector<std::shared_ptr<Outbound>> Registry::all_sockets() const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<Outbound>> out;
  for (const auto& [conn, weak] : sockets_) {
    if (auto socket = weak.lock()) out.push_back(std::move(socket));
  }
  return out;
}

}  // namespace cohort
