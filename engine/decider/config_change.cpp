// configure_experiment: the experiment in force changes, and what no longer fits it is ended,
// taken out or moved first, under the experiment it lived under.
#include "engine/decider/config_change.h"

#include <algorithm>

#include "engine/decider/rules.h"
#include "engine/vocabulary/experiment_json.h"

namespace cohort {
namespace {

std::string scene_text(const SessionMap& state, int index) {
  return "scene " + std::to_string(index) + " (" + state.scene(index).scene_id + ")";
}

// Why `next` has no game at `index` for `human_seats` players, or "" when it has.
std::string game_scene_gone(const Experiment& next, int index, int human_seats) {
  if (index >= static_cast<int>(next.scenes.size())) return "which the config no longer has";
  const Scene& scene = next.scenes[static_cast<std::size_t>(index)];
  if (!scene.is_game) return "which the config makes a static scene";
  if (human_seats > 0 && scene.human_seats != human_seats) {
    return "which the config gives " + std::to_string(scene.human_seats) + " human seats, not " +
           std::to_string(human_seats);
  }
  return "";
}

std::vector<const Subject*> sorted_subjects(const SessionMap& state) {
  std::vector<const Subject*> subjects;
  for (const auto& [id, subject] : state.subjects) subjects.push_back(&subject);
  std::sort(subjects.begin(), subjects.end(), [](auto* a, auto* b) { return a->id < b->id; });
  return subjects;
}

std::vector<ConfigMisfit> misfits_of(const SessionMap& state, const Experiment& next, ConfigMisfit::Kind kind) {
  std::vector<ConfigMisfit> out;
  if (kind == ConfigMisfit::Kind::game) {
    for (const auto& [id, game] : state.games) {
      const int seats = static_cast<int>(game.players.size());
      std::string why = game_scene_gone(next, game.scene, seats);
      if (why.empty()) continue;
      out.push_back({kind, id, "", "game " + std::to_string(id) + " is live in " + scene_text(state, game.scene) + ", " + why});
    }
    return out;
  }
  const int last = static_cast<int>(next.scenes.size()) - 1;
  for (const Subject* subject : sorted_subjects(state)) {
    if (kind == ConfigMisfit::Kind::waiter && subject->state == SubjectState::waiting) {
      std::string why = game_scene_gone(next, subject->scene, 0);
      if (why.empty()) continue;
      out.push_back({kind, kNoGame, subject->id,
                     "subject " + subject->id + " waits in " + scene_text(state, subject->scene) + ", " + why});
    } else if (kind == ConfigMisfit::Kind::subject && subject->scene > last) {
      out.push_back({kind, kNoGame, subject->id,
                     "subject " + subject->id + " is at " + scene_text(state, subject->scene) +
                         ", past the config's last scene (" + std::to_string(last) + ", " +
                         next.scenes.back().scene_id + ")"});
    }
  }
  return out;
}

}  // namespace

std::vector<ConfigMisfit> config_misfits(const SessionMap& state, const Experiment& next) {
  std::vector<ConfigMisfit> out;
  for (auto kind : {ConfigMisfit::Kind::game, ConfigMisfit::Kind::waiter, ConfigMisfit::Kind::subject}) {
    auto some = misfits_of(state, next, kind);
    out.insert(out.end(), some.begin(), some.end());
  }
  return out;
}

namespace rules {

void configure_experiment(Decision& d, const cmd::ConfigureExperiment& c) {
  Experiment next;
  try {
    next = parse_experiment(c.experiment);
  } catch (const ConfigError& error) {
    d.reject("bad_payload", error.what());
    return;
  }
  // Each kind is read off the state as the steps before it left it: an ended game's players are
  // idle, not waiting; a waiter taken out is idle in its scene.
  for (const ConfigMisfit& misfit : misfits_of(d.state(), next, ConfigMisfit::Kind::game)) {
    end_game(d, misfit.game, Ending{.reason = "config_changed"});
  }
  for (const ConfigMisfit& misfit : misfits_of(d.state(), next, ConfigMisfit::Kind::waiter)) {
    const Subject& waiter = *d.state().subject(misfit.subject);
    d.emit(waiter.id, kNoGame, waiter.scene, ev::WaitroomLeft{"config_changed"});
  }
  // Past the new end: to the new last scene, which completes the experiment (as advancing into
  // it does). The old scene list still has that index, so this applies before the change.
  const int last = static_cast<int>(next.scenes.size()) - 1;
  const Scene& last_scene = next.scenes.back();
  for (const ConfigMisfit& misfit : misfits_of(d.state(), next, ConfigMisfit::Kind::subject)) {
    d.emit(misfit.subject, kNoGame, last, ev::SubjectAdvanced{});
    d.emit(misfit.subject, kNoGame, kNoScene, ev::SubjectDone{});
    if (!d.state().subject(misfit.subject)->connected) continue;
    JsonObject args;
    args.str("scene_id", last_scene.scene_id).num("scene_index", last).str("type", last_scene.is_game ? "game" : "static");
    d.notify(misfit.subject, "activate_scene", std::move(args));
    d.notify(misfit.subject, "experiment_complete", JsonObject{});
  }
  d.emit("", kNoGame, kNoScene, ev::ExperimentConfigured{experiment_json(next)});
}

}  // namespace rules
}  // namespace cohort
