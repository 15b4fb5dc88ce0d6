#include "server/registry.h"

#include <algorithm>

namespace cohort {

void Registry::follow(const Event& event) {
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
  } else if (std::holds_alternative<ev::GameEnded>(event.body)) {
    rooms_.erase(event.game);  // the relay room closes with the game
  }
}

std::shared_ptr<Outbound> Registry::socket(ConnId conn) const {
  auto it = sockets_.find(conn);
  return it == sockets_.end() ? nullptr : it->second.lock();
}

std::shared_ptr<Outbound> Registry::socket_of(const std::string& subject) const {
  auto it = conn_of_subject_.find(subject);
  return it == conn_of_subject_.end() ? nullptr : socket(it->second);
}

int Registry::seat_of(ConnId conn, GameId game) const {
  auto subject = subject_of_conn_.find(conn);
  auto room = rooms_.find(game);
  if (subject == subject_of_conn_.end() || room == rooms_.end()) return -1;
  auto seat = std::find(room->second.begin(), room->second.end(), subject->second);
  return seat == room->second.end() ? -1 : static_cast<int>(seat - room->second.begin());
}

const std::vector<std::string>* Registry::players(GameId game) const {
  auto room = rooms_.find(game);
  return room == rooms_.end() ? nullptr : &room->second;
}

}  // namespace cohort
