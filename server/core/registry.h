#pragma once
// Who is where, as far as delivery is concerned: the live sockets by conn id, and the routing
// table (the socket bound to each subject, the seats of each live game), a projection of the
// log. Seeded from the session map at start-up and kept by committed events in commit order on
// the dispatcher strand; read there and by relays on any I/O thread (under a shared lock).
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/mutex.h"
#include "projections/routing_table.h"
#include "server/core/outbound.h"

namespace cohort {

// Where a relay goes: the sender's seat and every seat's socket (null when not connected), as
// of one generation of the registry.
struct RelayRoute {
  int seat = -1;
  std::vector<std::shared_ptr<Outbound>> sockets;
  std::uint64_t generation = 0;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  void add_socket(ConnId conn, std::weak_ptr<Outbound> socket);
  void remove_socket(ConnId conn);
  std::size_t socket_count() const;

  // Starts from the routing of a state restored from the log (before any event is followed).
  void seed(const SessionMap& state);
  // Keeps bindings and rooms in step with a committed event.
  void follow(const Event& event);
  RoutingTable routing() const;

  std::shared_ptr<Outbound> socket(ConnId conn) const;
  std::shared_ptr<Outbound> socket_of(const std::string& subject) const;
  // The hash of the subject's resume token ("" for a subject the log does not know).
  std::string resume_token_hash(const std::string& subject) const;
  // Nothing when `conn` holds no seat in `game`.
  std::optional<RelayRoute> route(ConnId from, GameId game) const;
  std::vector<std::shared_ptr<Outbound>> all_sockets() const;
  // Changes with every socket added or removed and every binding or room that changes: a route
  // looked up at one generation is still the route while the generation is the same, so a
  // socket relaying 30 actions a second looks its route up once, not under the lock each time.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  std::shared_ptr<Outbound> socket_locked(ConnId conn) const REQUIRES_SHARED(mutex_);

  mutable SharedMutex mutex_;
  std::atomic<std::uint64_t> generation_{0};  // bumped under the writer lock
  std::unordered_map<ConnId, std::weak_ptr<Outbound>> sockets_ GUARDED_BY(mutex_);
  RoutingTable routing_ GUARDED_BY(mutex_);
};

}  // namespace cohort
