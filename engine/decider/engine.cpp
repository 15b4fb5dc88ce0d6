#include "engine/decider/engine.h"

namespace cohort {

std::vector<Event> Engine::execute(const Command& command) {
  Seq command_seq = projector_.last_seq + 1;
  projector_.begin_command(command_seq, command.subject);
  auto events = decide(projector_.map, command, [&](const Event& event) {
    projector_.apply_event(projector_.last_seq + 1, command_seq, event);
  });
  projector_.end_command();
  return events;
}

}  // namespace cohort
