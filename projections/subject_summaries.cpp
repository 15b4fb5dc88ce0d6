#include "projections/subject_summaries.h"

#include "engine/vocabulary/experiment_json.h"

namespace cohort {

std::string SubjectSummary::outcome() const {
  if (done) return study_ending.empty() ? "finished" : study_ending;
  if (waiting || game != kNoGame) return "in_progress";
  if (!last_end.empty()) return last_end;
  return connected ? "in_progress" : "disconnected";
}

void SubjectSummaries::configure(const Experiment& experiment) {
  scene_ids_.clear();
  for (const Scene& scene : experiment.scenes) scene_ids_.push_back(scene.scene_id);
}

SubjectSummary* SubjectSummaries::find(const std::string& subject) {
  auto it = index_.find(subject);
  return it == index_.end() ? nullptr : &rows_[it->second];
}

std::string SubjectSummaries::scene_id(int scene) const {
  if (scene < 0 || static_cast<std::size_t>(scene) >= scene_ids_.size()) return std::to_string(scene);
  return scene_ids_[static_cast<std::size_t>(scene)];
}

void SubjectSummaries::end_game(const Event& event, const ev::GameEnded& ended) {
  auto game = games_.find(event.game);
  if (game == games_.end()) return;
  auto exclusion = exclusion_reasons_.find(event.game);
  for (std::size_t seat = 0; seat < game->second.size(); ++seat) {
    SubjectSummary* row = find(game->second[seat]);
    if (!row || row->game != event.game) continue;
    row->game = kNoGame;
    row->last_seen_at = event.at;
    auto player = static_cast<std::int64_t>(seat);
    if (ended.reason == "normal") {
      ++row->games_completed;
      row->last_end.clear();
    } else if (ended.excluded_player == player) {
      row->last_end = "excluded";
      if (exclusion != exclusion_reasons_.end()) row->excluded_reason = exclusion->second;
    } else if (ended.reason == "partner_disconnected" && ended.disconnected_player == player) {
      // (A reconnection_timeout names a player too, but the peer-to-peer link failed for both.)
      row->last_end = "disconnected";
    } else if (ended.reason == "partner_left" && command_subject_ == row->subject_id) {
      row->last_end = "left_game";
    } else {
      row->last_end = ended.reason;
    }
  }
  if (exclusion != exclusion_reasons_.end()) exclusion_reasons_.erase(exclusion);
  games_.erase(game);
}

void SubjectSummaries::apply(const Event& event) {
  last_at_ = std::max(last_at_, event.at);
  if (const auto* configured = std::get_if<ev::ExperimentConfigured>(&event.body)) {
    try {
      configure(parse_experiment(configured->experiment));
    } catch (const ConfigError&) {  // decoding refuses such a record
    }
    return;
  }
  if (const auto* created = std::get_if<ev::GameCreated>(&event.body)) {
    games_[event.game] = created->players;
    for (const std::string& id : created->players) {
      SubjectSummary* row = find(id);
      if (!row) continue;
      if (row->waiting) row->waited_ms += event.at - row->waiting_since;
      row->waiting = false;
      row->game = event.game;
      row->last_seen_at = event.at;
      row->last_end.clear();
      ++row->games_played;
    }
    return;
  }
  if (const auto* excluded = std::get_if<ev::PlayerExcluded>(&event.body)) {
    exclusion_reasons_[event.game] = excluded->reason;
    return;
  }
  if (const auto* ended = std::get_if<ev::GameEnded>(&event.body)) {
    end_game(event, *ended);
    return;
  }
  if (event.subject.empty()) return;
  if (std::holds_alternative<ev::SubjectRegistered>(event.body) && !index_.count(event.subject)) {
    index_[event.subject] = rows_.size();
    SubjectSummary row;
    row.subject_id = event.subject;
    row.first_seen_at = event.at;
    row.scene = event.scene;
    row.scenes_reached.push_back(scene_id(event.scene));
    row.params = std::get<ev::SubjectRegistered>(event.body).params.value_or("");
    rows_.push_back(std::move(row));
  }
  SubjectSummary* row = find(event.subject);
  if (!row) return;
  row->last_seen_at = event.at;
  auto leave_waitroom = [&] {
    if (row->waiting) row->waited_ms += event.at - row->waiting_since;
    row->waiting = false;
  };
  std::visit(
      [&](const auto& body) {
        using Body = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<Body, ev::SubjectConnected>) {
          row->connected = true;
        } else if constexpr (std::is_same_v<Body, ev::SubjectDisconnected>) {
          row->connected = false;
        } else if constexpr (std::is_same_v<Body, ev::WaitroomJoined>) {
          if (!row->waiting) {
            ++row->waitroom_joins;
            row->waiting = true;
            row->waiting_since = event.at;
          }
          row->last_end.clear();
        } else if constexpr (std::is_same_v<Body, ev::WaitroomLeft>) {
          leave_waitroom();
          // A waiter whose socket closed is told by `connected`; one that advanced moves on.
          if (body.reason == "left") row->last_end = "left_waitroom";
        } else if constexpr (std::is_same_v<Body, ev::WaitroomTimedOut>) {
          leave_waitroom();
          ++row->waitroom_timeouts;
          row->last_end = "waitroom_timeout";
        } else if constexpr (std::is_same_v<Body, ev::SubjectAdvanced>) {
          row->scene = event.scene;
          row->scenes_reached.push_back(scene_id(event.scene));
          row->last_end.clear();
        } else if constexpr (std::is_same_v<Body, ev::SubjectDone>) {
          row->done = true;
          row->last_end.clear();
          row->study_ending = body.ending.value_or("finished");
          row->completion_code = body.completion_code.value_or("");
        }
      },
      event.body);
}

}  // namespace cohort
