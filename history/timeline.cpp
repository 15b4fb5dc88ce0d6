#include "history/timeline.h"

#include <algorithm>
#include <unordered_map>

#include "engine/vocabulary/experiment_json.h"
#include "engine/vocabulary/record_codec.h"
#include "store/checked_scan.h"

namespace cohort {
namespace {

// Every few seconds per player, and nothing a reader of a session's story needs.
bool is_chatter(const RecordView& record) {
  return (record.kind == RecordKind::command && record.type == "ping") ||
         (record.kind == RecordKind::event && record.type == "rtt_recorded");
}

// Skips chatter and what it caused (its acks): the caller passes every record in order.
class ChatterFilter {
 public:
  bool keep(const RecordView& record) {
    if (is_chatter(record)) {
      if (record.kind == RecordKind::command) chatter_command_ = record.seq;
      return false;
    }
    return record.kind == RecordKind::command || record.causation != chatter_command_ || chatter_command_ == 0;
  }

 private:
  Seq chatter_command_ = 0;
};

std::string scene_name(const Experiment& experiment, int scene) {
  if (scene >= 0 && static_cast<std::size_t>(scene) < experiment.scenes.size()) {
    return experiment.scenes[static_cast<std::size_t>(scene)].scene_id;
  }
  return "scene " + std::to_string(scene);
}

struct GameFound {
  Seq created = 0;
  std::string scene_title;  // its scene as the experiment in force at its creation named it
  std::vector<std::string> players;
  std::vector<Seq> joined;  // per seat: the waitroom join that led to this game (created if none)
};

std::optional<GameFound> find_game(LogReader& reader, const Experiment& initial, GameId game) {
  std::unordered_map<std::string, Seq> last_join;
  std::optional<GameFound> found;
  Experiment experiment = initial;  // the one in force at the record being read
  checked_scan(reader, 1, [&](const RecordView& record) {
    if (record.kind != RecordKind::event) return true;
    if (record.type == ev::ExperimentConfigured::name) {
      experiment = parse_experiment(std::get<ev::ExperimentConfigured>(event_from_record(record).body).experiment);
    }
    // From the join_game command on: the command is part of the story.
    if (record.type == "waitroom_joined") last_join[std::string(record.subject)] = record.causation;
    if (record.type != "game_created" || record.game != game) return true;
    Event created = event_from_record(record);
    found = GameFound{record.seq, scene_name(experiment, record.scene), std::get<ev::GameCreated>(created.body).players, {}};
    for (const std::string& player : found->players) {
      auto join = last_join.find(player);
      found->joined.push_back(join != last_join.end() ? join->second : record.seq);
    }
    return false;
  });
  return found;
}

std::optional<Timeline> game_timeline(LogReader& reader, const Experiment& experiment, GameId game) {
  auto found = find_game(reader, experiment, game);
  if (!found) return std::nullopt;
  Timeline timeline;
  timeline.title = "game " + std::to_string(game) + " · " + found->scene_title;
  std::vector<int> every_lane;
  for (std::size_t seat = 0; seat < found->players.size(); ++seat) {
    timeline.lanes.push_back("player " + std::to_string(seat) + " · " + found->players[seat]);
    every_lane.push_back(static_cast<int>(seat));
  }
  Seq from = *std::min_element(found->joined.begin(), found->joined.end());
  Seq end_cause = 0;  // the command that ended the game: the rest of its batch is still drawn
  ChatterFilter filter;
  checked_scan(reader, from, [&](const RecordView& record) {
    if (end_cause != 0 && record.causation != end_cause) return false;
    if (!filter.keep(record)) return true;
    std::vector<int> lanes;
    if (record.subject.empty()) {
      if (record.game == game) lanes = every_lane;
    } else {
      auto seat = std::find(found->players.begin(), found->players.end(), record.subject) - found->players.begin();
      if (static_cast<std::size_t>(seat) < found->players.size() && record.seq >= found->joined[static_cast<std::size_t>(seat)]) {
        lanes = {static_cast<int>(seat)};
      }
    }
    if (!lanes.empty()) timeline.records.push_back({owned(record), std::move(lanes)});
    if (record.kind == RecordKind::event && record.type == "game_ended" && record.game == game) {
      end_cause = record.causation;
      timeline.end_reason = std::get<ev::GameEnded>(event_from_record(record).body).reason;
    }
    return true;
  });
  return timeline;
}

std::optional<Timeline> subject_timeline(LogReader& reader, const TraceTarget& target) {
  Timeline timeline;
  timeline.title = "subject " + target.subject;
  timeline.lanes = {target.subject};
  ChatterFilter filter;
  trace(reader, target, [&](const RecordView& record) {
    if (filter.keep(record)) timeline.records.push_back({owned(record), {0}});
  });
  if (timeline.records.empty()) return std::nullopt;
  return timeline;
}

}  // namespace

std::optional<Timeline> collect_timeline(LogReader& reader, const Experiment& experiment, const TraceTarget& target) {
  if (target.game != kNoGame) return game_timeline(reader, experiment, target.game);
  return subject_timeline(reader, target);
}

}  // namespace cohort
