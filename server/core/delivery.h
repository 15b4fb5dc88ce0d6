#pragma once
// After a commit, on the dispatcher strand and in commit order: the registry follows the
// committed events, and each notification goes to the socket it names (DESIGN.md rule 3).
#include <vector>

#include "engine/vocabulary/events.h"
#include "server/core/registry.h"

namespace cohort {

void deliver(Registry& registry, const std::vector<Event>& events);

}  // namespace cohort
