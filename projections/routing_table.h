#pragma once
// Who can be reached where, as delivery and relays need it: the socket (conn id) bound to each
// connected subject, and the seats of each live game. A read model of the session map: `of`
// derives it from a map (at start-up, after snapshot + replay), `follow` keeps it by the same
// events afterwards, and the two agree at every position (tests/routing_table_test.cpp).
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/vocabulary/events.h"
#include "projections/session_map.h"

namespace cohort {

struct RoutingTable {
  std::unordered_map<std::string, ConnId> conn_of_subject;
  std::unordered_map<ConnId, std::string> subject_of_conn;
  std::unordered_map<GameId, std::vector<std::string>> rooms;  // live games: subjects in seat order
  // Every subject's resume token hash: delivery hands it to the socket a `registered` goes to,
  // which puts the token in the frame when it knows the one with that hash (DESIGN.md rule 10).
  std::unordered_map<std::string, std::string> resume_token_hashes;

  static RoutingTable of(const SessionMap& state);
  // Applies one event; true when the table changed.
  bool follow(const Event& event);

  bool operator==(const RoutingTable&) const = default;
};

}  // namespace cohort
