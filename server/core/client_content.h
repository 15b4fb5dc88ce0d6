#pragma once
// What a browser client reads beyond what the log's notifications hold: the config's `client`
// objects (mug's experiment_config and each scene's scene_metadata) and the fields mug's client
// reads under its own names. The engine's notifications name the scene or game; the content is
// added here, at delivery, from the experiment in force at that point of the log, so the log
// does not copy a scene's content (its code, its texts) into every notification, and what was
// sent is still reconstructible from it: the config's history is in the log (experiment_configured)
// and every rule below reads only that and the notification. docs/server.md, "What the server
// adds at delivery", lists the rules.
//
// A projection like the registry: seeded from the session map at start-up, then kept by the
// committed events in commit order. Used only on the dispatcher strand (not thread-safe).
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/vocabulary/events.h"
#include "projections/session_map.h"

namespace cohort {

// One frame for a socket: an event name and its argument's JSON text, or an ack reply.
struct ClientFrame {
  std::string event;                // "" for an ack
  std::string args;
  std::optional<std::int64_t> ack;  // the Socket.IO ack id this answers
  bool operator==(const ClientFrame&) const = default;
};

// What one committed event sends: its frames, in order, to one socket (the notification's conn
// when set, else the envelope subject's socket), which is then closed when `close`.
struct Rendered {
  ConnId conn = kNoConn;
  std::vector<ClientFrame> frames;
  bool close = false;
};

class ClientContent {
 public:
  // mug's own values when the experiment-level `client` object does not set them.
  static constexpr std::int64_t kDefaultMaxLatency = 100000;
  static constexpr std::int64_t kDefaultMinPingMeasurements = 5;
  // What waiting_room reports as ms_remaining in a scene without a waitroom timeout: mug's
  // client counts it down and leaves the waitroom at 0, and Cohort's waiter has no end.
  static constexpr std::int64_t kUnlimitedWaitMs = 24 * 60 * 60 * 1000;

  ClientContent();
  void seed(const SessionMap& state);
  // Follows `event` and returns what it sends (nothing for most events): the one rendering that
  // delivery sends and a reader of the log can rebuild. The `registered` frame has the args the
  // log holds; the socket adds the resume token (server/core/resume_tokens.h).
  Rendered render(const Event& event);
  void follow(const Event& event);

  // The argument of a notification as it leaves (activate_scene with the scene's content,
  // start_game with scene_metadata...); the engine's args unchanged for other events.
  std::string args(const std::string& event, const std::string& engine_args) const;
  // What follows a `registered` to its socket: experiment_config.
  ClientFrame after_registered() const;
  // What a subject's socket is sent for an event that is not a notification: terminate_scene
  // for the scene a subject_advanced leaves. Call before follow(event).
  std::optional<ClientFrame> for_event(const Event& event) const;

  // The scene object a client reads (a scene's `client` object with Cohort's scene_id,
  // scene_index and type), "{}"-shaped JSON text; "" for an index out of range.
  std::string scene_object(int index) const;

  // One member of a JSON object: its key, and the text it adds to an object (`"key":value`).
  struct Member {
    std::string key;
    std::string text;
  };

 private:
  // Each kept taken apart into members too: what they add to a notification is then copied,
  // not parsed and written again for every recipient.
  struct SceneContent {
    std::string object;                   // client members + scene_id, scene_index, type
    std::vector<Member> object_members;   // the same, member by member
    std::vector<Member> waiting_members;  // what waiting_room adds: ms_remaining, mug's waitroom texts
  };
  void set_experiment(const Experiment& experiment);
  int scene_of_game(GameId game) const;
  int scene_by_id(const std::string& scene_id) const;

  std::vector<SceneContent> scenes_;
  std::unordered_map<std::string, int> scene_index_;
  std::string experiment_config_ = "{}";
  std::string pong_;
  std::vector<Member> pong_members_;
  std::string turn_config_ = "null";
  std::string completion_scene_field_;  // completion.scene_field: "" = none
  std::unordered_map<GameId, int> game_scene_;
  std::unordered_map<std::string, int> subject_scene_;
};

}  // namespace cohort
