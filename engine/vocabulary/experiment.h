#pragma once
// The experiment the engine runs: its scenes and their rules (PROTOCOL.md section 2).
// Plain data; loading and validating the JSON config is the server's job.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/vocabulary/ids.h"

namespace cohort {

struct Matchmaker {
  enum class Kind { fifo, latency_fifo, group_reunion };
  enum class Fallback { fifo, wait };
  Kind kind = Kind::fifo;
  std::int64_t max_rtt_ms = 0;              // latency_fifo: limit on the sum of the two RTTs
  Fallback fallback = Fallback::fifo;       // group_reunion: after the group wait
  std::int64_t group_wait_timeout_ms = 0;   // group_reunion: how long earlier partners are waited for
};

struct SceneMessages {
  std::string partner_excluded = "Your partner experienced a technical issue. The game has ended.";
  std::string partner_disconnected = "Your partner disconnected. The game has ended.";
  std::string waitroom_timeout = "No partner could be found in time.";
  std::string validation_failed = "A connection to your partner could not be established.";
};

struct Scene {
  std::string scene_id;
  bool is_game = false;
  int human_seats = 0;
  int bot_seats = 0;
  Matchmaker matchmaker;
  Millis waitroom_timeout_ms = 0;      // 0 = wait without limit
  Millis countdown_ms = 0;
  bool p2p_validation = false;
  Millis validation_timeout_ms = 10000;
  Millis reconnection_timeout_ms = 0;  // 0 = a disconnect ends the game at once
  SceneMessages messages;
};

struct Experiment {
  std::string experiment_id;
  std::vector<Scene> scenes;
};

}  // namespace cohort
