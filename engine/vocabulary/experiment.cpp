#include "engine/vocabulary/experiment.h"

namespace cohort {

Experiment demo_experiment() {
  Experiment experiment;
  experiment.experiment_id = "cohort-demo";
  experiment.scenes.push_back(Scene{.scene_id = "consent"});
  Scene game;
  game.scene_id = "cramped_room";
  game.is_game = true;
  game.human_seats = 2;
  game.waitroom_timeout_ms = 120000;
  game.countdown_ms = 3000;
  game.reconnection_timeout_ms = 5000;
  experiment.scenes.push_back(game);
  experiment.scenes.push_back(Scene{.scene_id = "end"});
  return experiment;
}

}  // namespace cohort
