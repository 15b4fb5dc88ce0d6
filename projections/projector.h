#pragma once
// Feeds one stream of records to every projection: the session map, analytics and the audit.
// The live engine and the replay tool both use it, so both build state with the same code.
#include <memory>

#include "projections/analytics.h"
#include "projections/audit.h"
#include "projections/session_map.h"

namespace cohort {

class Projector {
 public:
  explicit Projector(std::shared_ptr<const Experiment> experiment) : map(std::move(experiment)) {}

  void begin_command(Seq seq, const Command& command) {
    audit.begin_command(seq, command);
    last_seq = seq;
  }
  void apply_event(Seq seq, Seq causation, const Event& event) {
    audit.before_event(seq, causation, event, map);
    apply(map, event);
    analytics.apply(event);
    audit.after_event(seq, event, map);
    last_seq = seq;
  }
  void end_command() { audit.end_command(); }

  SessionMap map;
  Analytics analytics;
  Audit audit;
  Seq last_seq = 0;
};

}  // namespace cohort
