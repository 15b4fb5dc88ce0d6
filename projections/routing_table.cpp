#include "projections/routing_table.h"

namespace cohort {

RoutingTable RoutingTable::of(const SessionMap& state) {
  RoutingTable table;
  for (const auto& [id, subject] : state.subjects) {
    table.resume_token_hashes[id] = subject.resume_token_hash;
    if (!subject.connected) continue;
    table.conn_of_subject[id] = subject.conn;
    table.subject_of_conn[subject.conn] = id;
  }
  for (const auto& [id, game] : state.games) table.rooms[id] = game.players;
  return table;
}

bool RoutingTable::follow(const Event& event) {
  if (const auto* registered = std::get_if<ev::SubjectRegistered>(&event.body)) {
    resume_token_hashes[event.subject] = registered->resume_token_hash;
    return true;
  }
  if (const auto* reissued = std::get_if<ev::ResumeTokenReissued>(&event.body)) {
    resume_token_hashes[event.subject] = reissued->resume_token_hash;
    return true;
  }
  if (const auto* connected = std::get_if<ev::SubjectConnected>(&event.body)) {
    if (auto old = conn_of_subject.find(event.subject); old != conn_of_subject.end()) subject_of_conn.erase(old->second);
    conn_of_subject[event.subject] = connected->conn;
    subject_of_conn[connected->conn] = event.subject;
    return true;
  }
  if (std::holds_alternative<ev::SubjectDisconnected>(event.body) || std::holds_alternative<ev::SubjectAbsent>(event.body)) {
    auto it = conn_of_subject.find(event.subject);
    if (it == conn_of_subject.end()) return false;
    subject_of_conn.erase(it->second);
    conn_of_subject.erase(it);
    return true;
  }
  if (const auto* created = std::get_if<ev::GameCreated>(&event.body)) {
    rooms[event.game] = created->players;
    return true;
  }
  if (std::holds_alternative<ev::GameEnded>(event.body)) return rooms.erase(event.game) > 0;
  return false;
}

}  // namespace cohort
