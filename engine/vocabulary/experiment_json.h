#pragma once
// The experiment's JSON (PROTOCOL.md section 2), read and written below both programs: the
// server reads it from its config file, the projections from the log's experiment_configured
// events, cohort-replay from an older log's meta. Reading validates as the server always has:
// an unknown key, a wrong type or an impossible value is a ConfigError naming the key's path
// ("config: scenes[1].human_seats: must be at least 1"). RapidJSON stays in the .cpp.
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/vocabulary/experiment.h"

namespace cohort {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One JSON object of a config, read key by key; each error names the key's path. Valid only
// during the parse that hands it out.
class ConfigObject {
 public:
  // Refuses keys nobody asked for. Call after reading every known key. The message says what to
  // do when it can: the nearest key of this object for a typo ("did you mean
  // waitroom_timeout_ms?"), where a key of another object belongs ("put it in a game scene").
  void finish() const;
  std::string string(const std::string& key, std::optional<std::string> fallback = std::nullopt);
  std::int64_t integer(const std::string& key, std::optional<std::int64_t> fallback, std::int64_t min,
                       std::int64_t max = INT64_MAX);
  std::vector<std::string> strings(const std::string& key);
  bool boolean(const std::string& key, bool fallback);
  std::string choice(const std::string& key, std::optional<std::string> fallback, const std::set<std::string>& allowed);

  std::string child(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  [[noreturn]] static void fail(const std::string& path, const std::string& why);

 private:
  friend struct ConfigObjectAccess;
  ConfigObject(const void* value, std::string path);  // a RapidJSON value, opaque here
  const void* value_;
  std::string path_;
  std::set<std::string> read_;
  // Where a key unknown here belongs, as advice ("" when it belongs nowhere): set by the parse.
  std::function<std::string(const std::string& key)> elsewhere_;
};

// A config file's text: `experiment_id`, `scenes`, and the `server` section, which is handed to
// `server` to read (and finish) when present; an empty `server` takes the section unread (a
// reader that wants only the experiment). The depth is checked before parsing
// (json_nesting.h), so a copied log's or a hostile file's text cannot make anything recurse.
// Throws ConfigError.
Experiment parse_experiment(const std::string& json_text, const std::function<void(ConfigObject& server)>& server);
// An experiment alone, as experiment_configured records it: a `server` key is refused, so no
// server setting (the admin token least of all) can travel in one.
Experiment parse_experiment(const std::string& json_text);

// The canonical JSON of an experiment: in one fixed order, without spaces between tokens, every
// field with its defaults written out, except two keys added later that are written only when set:
// `resume` when it is not "token", `client` objects when the config has them (so a log recorded
// before they existed re-decides to the same bytes). Two configs that differ only in layout, key
// order or spelled-out defaults give the same text; parse_experiment reads it back to an equal
// Experiment.
std::string experiment_json(const Experiment& experiment);

}  // namespace cohort
