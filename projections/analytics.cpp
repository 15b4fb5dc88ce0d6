#include "projections/analytics.h"

#include "engine/vocabulary/experiment_json.h"

namespace cohort {

std::optional<Millis> SessionRow::duration_ms() const {
  if (!ended_at) return std::nullopt;
  return *ended_at - started_at.value_or(matched_at);
}

void Analytics::configure(const Experiment& experiment) {
  scene_ids_.clear();
  for (const Scene& scene : experiment.scenes) scene_ids_.push_back(scene.scene_id);
}

void Analytics::apply(const Event& event) {
  auto rows_of = [&]() -> std::vector<SessionRow>* {
    auto it = rows_.find(event.game);
    return it == rows_.end() ? nullptr : &it->second;
  };
  std::visit(
      [&](const auto& body) {
        using Body = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<Body, ev::ExperimentConfigured>) {
          try {
            configure(parse_experiment(body.experiment));
          } catch (const ConfigError&) {  // decoding refuses such a record
          }
        } else if constexpr (std::is_same_v<Body, ev::SubjectDone>) {
          if (body.completion_code) completion_codes_[event.subject] = *body.completion_code;
        } else if constexpr (std::is_same_v<Body, ev::WaitroomJoined>) {
          joined_at_[event.subject] = event.at;
        } else if constexpr (std::is_same_v<Body, ev::GameCreated>) {
          auto& rows = rows_[event.game];
          rows.clear();
          for (std::size_t seat = 0; seat < body.players.size(); ++seat) {
            SessionRow row;
            row.game_id = event.game;
            row.scene = event.scene;
            if (event.scene >= 0 && static_cast<std::size_t>(event.scene) < scene_ids_.size()) {
              row.scene_id = scene_ids_[static_cast<std::size_t>(event.scene)];
            }
            row.subject_id = body.players[seat];
            row.player_id = static_cast<int>(seat);
            for (const auto& other : body.players) {
              if (other != row.subject_id) row.partner_subject_ids.push_back(other);
            }
            row.matched_at = event.at;
            if (auto joined = joined_at_.find(row.subject_id); joined != joined_at_.end()) {
              row.waited_ms = event.at - joined->second;
              joined_at_.erase(joined);
            }
            rows.push_back(std::move(row));
          }
        } else if constexpr (std::is_same_v<Body, ev::GameStarted>) {
          if (auto* rows = rows_of()) {
            for (auto& row : *rows) {
              if (!row.started_at) row.started_at = event.at;
            }
          }
        } else if constexpr (std::is_same_v<Body, ev::GamePaused>) {
          if (auto* rows = rows_of()) {
            paused_at_[event.game] = event.at;
            for (auto& row : *rows) ++row.pause_count;
          }
        } else if constexpr (std::is_same_v<Body, ev::GameResumed>) {
          if (auto* rows = rows_of(); rows && paused_at_.count(event.game)) {
            for (auto& row : *rows) row.total_pause_ms += event.at - paused_at_[event.game];
            paused_at_.erase(event.game);
          }
        } else if constexpr (std::is_same_v<Body, ev::EpisodeCompleted>) {
          if (auto* rows = rows_of()) {
            for (auto& row : *rows) row.completed_episodes = body.episode;
          }
        } else if constexpr (std::is_same_v<Body, ev::PlayerExcluded>) {
          excluded_[event.game] = {body.player, body.reason};
        } else if constexpr (std::is_same_v<Body, ev::GameEnded>) {
          auto* rows = rows_of();
          if (!rows || (!rows->empty() && rows->front().ended)) return;
          auto excluded = excluded_.find(event.game);
          auto paused = paused_at_.find(event.game);
          for (auto& row : *rows) {
            row.ended = true;
            row.ended_at = event.at;
            row.termination_reason = body.reason;
            row.termination_frame = body.frame;
            row.disconnected_player_id = body.disconnected_player;
            if (paused != paused_at_.end()) row.total_pause_ms += event.at - paused->second;
            if (excluded != excluded_.end()) {
              row.excluded_reason = excluded->second.second;
              if (row.player_id == excluded->second.first) row.termination_reason = excluded->second.second;
            }
          }
          if (excluded != excluded_.end()) excluded_.erase(excluded);
          if (paused != paused_at_.end()) paused_at_.erase(paused);
        }
      },
      event.body);
}

const std::string& Analytics::completion_code(const std::string& subject) const {
  static const std::string none;
  auto it = completion_codes_.find(subject);
  return it == completion_codes_.end() ? none : it->second;
}

std::string game_end_reason(const std::vector<SessionRow>& rows) {
  for (const SessionRow& row : rows) {
    if (row.excluded_reason.empty() || row.termination_reason != row.excluded_reason) return row.termination_reason;
  }
  return "partner_exclusion";  // every seat was the excluded player's: a one-seat game
}

}  // namespace cohort
