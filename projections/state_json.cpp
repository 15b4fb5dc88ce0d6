#include "projections/state_json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <vector>

namespace cohort {

std::string state_json(const SessionMap& state, Seq last_seq) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto key = [&](const std::string& k) { w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size())); };
  auto str = [&](const std::string& s) { w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size())); };
  w.StartObject();
  w.Key("last_seq");
  w.Int64(last_seq);
  w.Key("subjects");
  w.StartObject();
  std::vector<const Subject*> subjects;
  for (const auto& [id, subject] : state.subjects) subjects.push_back(&subject);
  std::sort(subjects.begin(), subjects.end(), [](const Subject* a, const Subject* b) { return a->id < b->id; });
  for (const Subject* subject : subjects) {
    key(subject->id);
    w.StartObject();
    w.Key("state");
    w.String(state_name(subject->state));
    w.Key("scene_id");
    str(state.scene(subject->scene).scene_id);
    if (subject->game != kNoGame) {
      w.Key("game_id");
      w.Int64(subject->game);
    }
    w.EndObject();
  }
  w.EndObject();
  w.Key("games");
  w.StartObject();
  for (const auto& [id, game] : state.games) {
    key(std::to_string(id));
    w.StartObject();
    w.Key("scene_id");
    str(state.scene(game.scene).scene_id);
    w.Key("status");
    w.String(status_name(game.status));
    w.Key("players");
    w.StartObject();
    for (std::size_t seat = 0; seat < game.players.size(); ++seat) {
      key(std::to_string(seat));
      str(game.players[seat]);
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndObject();
  w.Key("waitrooms");
  w.StartObject();
  for (std::size_t scene = 0; scene < state.waitrooms.size(); ++scene) {
    if (!state.scene(static_cast<int>(scene)).is_game) continue;
    key(state.scene(static_cast<int>(scene)).scene_id);
    w.StartArray();
    for (const auto& id : state.waitrooms[scene]) str(id);
    w.EndArray();
  }
  w.EndObject();
  // What the researcher set from the dashboard (docs/server.md "Control from the dashboard").
  w.Key("closed_waitrooms");
  w.StartArray();
  for (int scene : state.closed_waitrooms) str(state.scene(scene).scene_id);
  w.EndArray();
  w.Key("max_participants");
  if (state.max_participants) {
    w.Int64(*state.max_participants);
  } else {
    w.Null();
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace cohort
