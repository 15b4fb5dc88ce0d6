#pragma once
// The session map as JSON, the shape of GET /admin/state and `cohort-replay state --json`:
// {last_seq, subjects: {id: {state, scene_id, game_id?}}, games: {id: {scene_id, status,
// players: {player_id: subject_id}}}, waitrooms: {scene_id: [subject_id...]},
// closed_waitrooms: [scene_id...], max_participants: n or null}
#include <string>

#include "projections/session_map.h"

namespace cohort {

std::string state_json(const SessionMap& state, Seq last_seq);

}  // namespace cohort
