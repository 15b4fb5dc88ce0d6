#pragma once
// decide(state, command) -> events: every session rule, as a function of the session map and
// one command. No I/O, no clock (time is command.at), no randomness (seeds derive from
// recorded values): the same commands give the same events, byte for byte.
//
// A command can take several steps (a join that completes a group creates the game; a timer
// fires every due deadline in order). The decider never writes the state: it hands each event
// to `apply`, which must apply it to `state` (and may feed other projections), so that each
// step reads the state as the earlier events left it.
#include <functional>
#include <vector>

#include "engine/vocabulary/commands.h"
#include "engine/vocabulary/events.h"
#include "projections/session_map.h"

namespace cohort {

using ApplyEvent = std::function<void(const Event&)>;

std::vector<Event> decide(const SessionMap& state, const Command& command, const ApplyEvent& apply);

}  // namespace cohort
