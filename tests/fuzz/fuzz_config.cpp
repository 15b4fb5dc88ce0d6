// libFuzzer target: the config loader, fed any text. It may accept, or refuse with a
// ConfigError that names the key's path; any other exception or a crash is a finding. An
// accepted experiment must read back from its canonical text unchanged (experiment_configured
// records that text), and what delivery adds from its `client` objects must not crash.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/vocabulary/experiment_json.h"
#include "engine/vocabulary/json_text.h"
#include "server/config.h"
#include "server/core/client_content.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  cohort::Config config;
  try {
    config = cohort::parse_config(text);
  } catch (const cohort::ConfigError& error) {
    if (std::string(error.what()).empty()) std::abort();
    return 0;
  }
  if (cohort::parse_experiment(cohort::experiment_json(config.experiment)) != config.experiment) std::abort();
  cohort::ClientContent content;
  content.seed(cohort::SessionMap(std::make_shared<const cohort::Experiment>(config.experiment)));
  content.after_registered();
  for (int scene = 0; scene < static_cast<int>(config.experiment.scenes.size()) && scene < 4; ++scene) {
    const std::string& id = config.experiment.scenes[static_cast<std::size_t>(scene)].scene_id;
    content.args("activate_scene", R"({"scene_id":"x","scene_index":)" + std::to_string(scene) + R"(,"type":"static"})");
    content.args("start_game", R"({"game_id":1,"scene_id":)" + cohort::JsonObject().str("s", id).text().substr(5));
    content.args("pyodide_game_ready", R"({"game_id":1,"players":[0]})");
    content.args("waiting_room", R"({"scene_id":)" + cohort::JsonObject().str("s", id).text().substr(5));
  }
  content.args("pong", "{}");
  content.args("match_found_countdown", R"({"game_id":1,"countdown_ms":1})");
  return 0;
}
