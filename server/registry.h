#pragma once
// Who is where, as far as delivery is concerned: sockets by conn id, the socket holding each
// subject, and the players of each live game. Updated from committed events in commit order,
// and used only on the dispatcher strand (no locks).
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/vocabulary/events.h"
#include "server/outbound.h"

namespace cohort {

class Registry {
 public:
  void add_socket(ConnId conn, std::weak_ptr<Outbound> socket) { sockets_[conn] = std::move(socket); }
  void remove_socket(ConnId conn) { sockets_.erase(conn); }
  std::size_t socket_count() const { return sockets_.size(); }

  // Keeps bindings and rooms in step with a committed event.
  void follow(const Event& event);

  std::shared_ptr<Outbound> socket(ConnId conn) const;
  std::shared_ptr<Outbound> socket_of(const std::string& subject) const;
  // The seat of the subject held by `conn` in `game`, or -1.
  int seat_of(ConnId conn, GameId game) const;
  const std::vector<std::string>* players(GameId game) const;

  template <class F>
  void for_each_socket(F f) const {
    for (const auto& [conn, weak] : sockets_) {
      if (auto socket = weak.lock()) f(socket);
    }
  }

 private:
  std::unordered_map<ConnId, std::weak_ptr<Outbound>> sockets_;
  std::unordered_map<std::string, ConnId> conn_of_subject_;
  std::unordered_map<ConnId, std::string> subject_of_conn_;
  std::unordered_map<GameId, std::vector<std::string>> rooms_;
};

}  // namespace cohort
