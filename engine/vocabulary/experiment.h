#pragma once
// The experiment the engine runs: its scenes and their rules (PROTOCOL.md section 2).
// Plain data, compared by value; its JSON is read and written by experiment_json.h.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
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
  bool operator==(const Matchmaker&) const = default;
};

struct SceneMessages {
  std::string partner_excluded = "Your partner experienced a technical issue. The game has ended.";
  std::string partner_disconnected = "Your partner disconnected. The game has ended.";
  std::string waitroom_timeout = "No partner could be found in time.";
  std::string validation_failed = "A connection to your partner could not be established.";
  bool operator==(const SceneMessages&) const = default;
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
  // What the scene's browser client reads (mug's `scene_metadata`: scene_type, its texts, its
  // game's code...): a JSON object Cohort does not interpret, kept as its compact text ("" when
  // the config has none or an empty one). activate_scene, terminate_scene, start_game and
  // pyodide_game_ready carry it (server/core/client_content.h).
  std::string client;
  bool operator==(const Scene&) const = default;
};

// Who may take a registered subject over without its resume token (PROTOCOL.md 4.1).
// token: only the holder of its token, while another socket holds it or its game awaits it.
// subject_id: whoever registers its subject id (mug's page keeps no token), whatever its state.
enum class ResumePolicy { token, subject_id };

// What a participant is given when one way their part can end finishes their study
// (`completion` in the config, docs/server.md "Paying participants: completion codes").
struct CompletionEnding {
  std::string code;          // "" = none
  std::string redirect_url;  // "" = none; http or https
  bool finishes = false;     // the ending makes the subject `done` (else today's behaviour)
  bool operator==(const CompletionEnding&) const = default;
};

// The ways a participant's part can end that `completion` names.
inline constexpr const char* kCompletionEndings[] = {"finished", "waitroom_timeout", "partner_left",
                                                     "excluded", "validation_failed", "admin"};

struct Completion {
  std::map<std::string, CompletionEnding> endings;  // by ending name; absent = no code, does not finish
  // The key of the last scene's `client` content that delivery fills with the code (mug's end
  // page shows its scene content); "" = none.
  std::string scene_field;
  const CompletionEnding* ending(const std::string& name) const {
    auto it = endings.find(name);
    return it == endings.end() ? nullptr : &it->second;
  }
  bool operator==(const Completion&) const = default;
};

// Which recruitment-platform ids a registration's `params` keeps, and whether the subject id
// comes from one of them (`recruitment` in the config, docs/server.md "Recruitment ids"). Keys
// not kept are dropped by the server before the registration is journaled.
struct Recruitment {
  std::vector<std::string> keep{"PROLIFIC_PID", "STUDY_ID", "SESSION_ID"};
  std::string subject_id_from;  // a kept key whose value is the subject id when none is given; "" = none
  std::string subject_id_is;    // a kept key the subject id itself is (mug's page: the id in its URL); "" = none
  bool operator==(const Recruitment&) const = default;
};

// The largest `max_participants` accepted: far beyond any study, small enough for any reader.
inline constexpr std::int64_t kLargestParticipantCap = 1'000'000'000;

struct Experiment {
  std::string experiment_id;
  ResumePolicy resume = ResumePolicy::token;
  std::vector<Scene> scenes;
  // The experiment-level counterpart of Scene::client: the `experiment_config` a client gets
  // after `registered` (mug's pyodide_config, entry_screening...). "" when none.
  std::string client;
  Completion completion;
  Recruitment recruitment;
  // The cap on distinct subjects ever registered (`max_participants`); a registration of a new
  // subject past it is refused `study_full`. Absent: none. The dashboard can change it
  // (admin_set_max_participants) until the next experiment_configured.
  std::optional<std::int64_t> max_participants;
  bool operator==(const Experiment&) const = default;
};

// The experiment in force, shared by everything built on it and compared by value: two
// projections built from one log each parse their own copy of every experiment it records.
class ExperimentPtr {
 public:
  ExperimentPtr(std::shared_ptr<const Experiment> experiment) : experiment_(std::move(experiment)) {}  // NOLINT: implicit
  const Experiment* operator->() const { return experiment_.get(); }
  const Experiment& operator*() const { return *experiment_; }
  operator const std::shared_ptr<const Experiment>&() const { return experiment_; }  // NOLINT: implicit
  bool operator==(const ExperimentPtr& other) const {
    return experiment_ == other.experiment_ || (experiment_ && other.experiment_ && *experiment_ == *other.experiment_);
  }

 private:
  std::shared_ptr<const Experiment> experiment_;
};

}  // namespace cohort
