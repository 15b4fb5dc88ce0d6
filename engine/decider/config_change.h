#pragma once
// A new experiment against the state a log has reached. A game, a waiter or a subject that the
// new scene list has no place for does not fit: the server refuses such a start unless told to
// go on, and then configure_experiment's rule (rules.h) makes it fit (docs/engine.md).
#include <string>
#include <vector>

#include "engine/vocabulary/experiment.h"
#include "projections/session_map.h"

namespace cohort {

struct ConfigMisfit {
  enum class Kind { game, waiter, subject };
  Kind kind = Kind::game;
  GameId game = kNoGame;  // Kind::game
  std::string subject;    // Kind::waiter and Kind::subject
  // "game 12 is live in scene 1 (cramped_room), which the config makes a static scene"
  std::string what;
};

// What does not fit `next`, in this order: every live game whose scene index `next` does not
// have, makes a static scene or gives another number of human seats (by game id); every waiter
// whose scene `next` does not have or makes a static scene (by subject id); every subject whose
// scene index is past `next`'s last scene (by subject id). A game's players and a waiter can
// also be listed as subjects past the end.
std::vector<ConfigMisfit> config_misfits(const SessionMap& state, const Experiment& next);

}  // namespace cohort
