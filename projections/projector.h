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
  // `experiment`: the one in force before the first record this projector is fed (a log's
  // experiment_configured events replace it as they come).
  explicit Projector(std::shared_ptr<const Experiment> experiment) : map(std::move(experiment)) {
    analytics.configure(*map.experiment);
  }

  // Only the seq and the sender matter to the projections; rebuilding needs no command decoding.
  void begin_command(Seq seq, std::string_view subject) {
    if (auditing) audit.begin_command(seq, subject);
    last_seq = seq;
  }
  void apply_event(Seq seq, Seq causation, const Event& event) {
    if (auditing) audit.before_event(seq, causation, event, map);
    if (mapping) apply(map, event);
    if (analysing) analytics.apply(event);
    if (auditing) audit.after_event(seq, event, map);
    last_seq = seq;
  }
  // A notification changes no projection; the audit only needs whom it was for. Rebuilds use
  // this to skip decoding the outbox, most of a log's records.
  void note_notification(Seq seq, Seq causation, std::string_view subject) {
    if (auditing) audit.note_notification(seq, causation, subject);
    last_seq = seq;
  }
  void end_command() {
    if (auditing) audit.end_command();
  }

  SessionMap map;
  Analytics analytics;
  Audit audit;
  // Which projections to build. The live engine and `cohort-replay audit` build all three and
  // check every event; `state` needs only the map, `export` only the analytics. The audit
  // reads the map, so `auditing` needs `mapping`.
  bool mapping = true;
  bool analysing = true;
  bool auditing = true;
  Seq last_seq = 0;
};

}  // namespace cohort
