#pragma once
// After a commit, on the dispatcher strand and in commit order: the registry and the client
// content follow the committed events, and each notification goes to the socket it names
// (DESIGN.md rule 3), with what the client reads added from the experiment in force
// (client_content.h): experiment_config after `registered`, terminate_scene before the next
// scene's activate_scene, each scene's content. What one commit sends one socket is handed to
// it as one batch, in order, so that it leaves in one write.
#include "server/core/client_content.h"
#include "server/core/metrics.h"
#include "server/core/pipeline.h"
#include "server/core/registry.h"

namespace cohort {

// A commit that created a game from a client's join starts a clock (cohort_match_notify_seconds)
// that every socket it notifies holds until it has written its frames.
void deliver(Registry& registry, ClientContent& content, Metrics& metrics, const Committed& committed);

}  // namespace cohort
