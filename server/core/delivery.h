#pragma once
// After a commit, on the dispatcher strand and in commit order: the registry and the client
// content follow the committed events, and each notification goes to the socket it names
// (DESIGN.md rule 3), with what the client reads added from the experiment in force
// (client_content.h): experiment_config after `registered`, terminate_scene before the next
// scene's activate_scene, each scene's content.
#include <vector>

#include "engine/vocabulary/events.h"
#include "server/core/client_content.h"
#include "server/core/registry.h"

namespace cohort {

void deliver(Registry& registry, ClientContent& content, const std::vector<Event>& events);

}  // namespace cohort
