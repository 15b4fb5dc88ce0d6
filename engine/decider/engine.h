#pragma once
// The engine thread's core: decide a command against the projections and apply what it
// decided. Positions are predicted in append order (the store assigns them the same way,
// and a failed commit stops the server), so the audit sees the positions the log will hold.
#include <memory>
#include <vector>

#include "engine/decider/decide.h"
#include "projections/projector.h"

namespace cohort {

class Engine {
 public:
  explicit Engine(std::shared_ptr<const Experiment> experiment) : projector_(std::move(experiment)) {}
  // Continues from projections rebuilt from a log.
  explicit Engine(Projector projector) : projector_(std::move(projector)) {}

  std::vector<Event> execute(const Command& command);

  const Projector& projections() const { return projector_; }
  const SessionMap& state() const { return projector_.map; }

 private:
  Projector projector_;
};

}  // namespace cohort
