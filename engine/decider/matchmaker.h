#pragma once
// Which waiters of a scene form the next game, if any (PROTOCOL.md section 2, matchmaker).
#include <optional>
#include <string>
#include <vector>

#include "projections/session_map.h"

namespace cohort {

// A group of exactly the scene's human seats, in seat order, or nothing yet. Pure.
//  fifo:          the earliest waiter with the earliest compatible others.
//  latency_fifo:  as fifo, skipping pairs whose known RTTs sum above max_rtt_ms.
//  group_reunion: a waiter's partners from its last game, once all of them wait here; a
//                 waiter still within its group wait is offered to no one else, and after it
//                 only if the fallback is fifo.
// Subjects who failed P2P validation together in this scene are never grouped again.
std::optional<std::vector<std::string>> find_group(const SessionMap& state, int scene);

}  // namespace cohort
