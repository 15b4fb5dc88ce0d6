#pragma once
// The audit: the invariants of PROTOCOL.md section 7, checked around every event on what
// the event touches, so that the cost does not grow with the number of participants.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/vocabulary/events.h"
#include "projections/session_map.h"

namespace cohort {

struct Violation {
  Seq seq = 0;
  int invariant = 0;  // 1-7, as numbered in PROTOCOL.md section 7
  std::string detail;
  bool operator==(const Violation&) const = default;
};

class Audit {
 public:
  void begin_command(Seq seq, std::string_view subject);
  void before_event(Seq seq, Seq causation, const Event& event, const SessionMap& state);
  void after_event(Seq seq, const Event& event, const SessionMap& state);
  void note_notification(Seq seq, Seq causation, std::string_view subject);
  void end_command();
  // Every invariant over the whole map; for tests and periodic checks.
  void check_everything(Seq seq, const SessionMap& state);

  const std::vector<Violation>& violations() const { return violations_; }
  std::size_t violation_count() const { return violations_.size(); }

 private:
  friend struct SnapshotCodec;
  void flag(Seq seq, int invariant, std::string detail);
  void check_position(Seq seq, Seq causation);
  void check_subject(Seq seq, const SessionMap& state, const std::string& id);
  void check_game(Seq seq, const SessionMap& state, GameId id);
  void check_waitroom_totals(Seq seq, const SessionMap& state);

  struct PartialEnd {
    Seq seq;
    GameId game;
    std::vector<std::string> attached_others;
  };

  std::vector<Violation> violations_;
  std::set<GameId> ended_;
  Seq last_seq_ = 0;
  Seq command_seq_ = 0;
  std::string command_subject_;
  std::vector<PartialEnd> partial_ends_;  // of the current command
  std::vector<std::string> notified_;     // subjects notified by the current command, unsorted
  std::optional<Deadline> ending_deadline_;  // of the game whose game_ended is being applied
};

}  // namespace cohort
