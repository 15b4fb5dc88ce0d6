#include "projections/dashboard_view.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <map>
#include <vector>

namespace cohort {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void string(Writer& w, const std::string& s) { w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size())); }

void scenes(Writer& w, const SessionMap& state, Millis now) {
  std::vector<std::size_t> present(state.experiment->scenes.size(), 0);
  for (const auto& [id, subject] : state.subjects) {
    if (subject.state != SubjectState::done) ++present.at(static_cast<std::size_t>(subject.scene));
  }
  w.StartArray();
  for (std::size_t index = 0; index < state.experiment->scenes.size(); ++index) {
    const Scene& scene = state.experiment->scenes[index];
    w.StartObject();
    w.Key("scene_id");
    string(w, scene.scene_id);
    w.Key("type");
    w.String(scene.is_game ? "game" : "static");
    w.Key("subjects");
    w.Uint64(present[index]);
    const auto& waiters = index < state.waitrooms.size() ? state.waitrooms[index] : std::vector<std::string>{};
    w.Key("waiting");
    w.Uint64(waiters.size());
    w.Key("longest_wait_ms");
    Millis since = now;
    for (const std::string& id : waiters) {
      if (const Subject* subject = state.subject(id)) since = std::min(since, subject->waiting_since);
    }
    if (waiters.empty()) w.Null();
    else w.Int64(std::max<Millis>(0, now - since));
    w.Key("waitroom_closed");  // by the researcher, to new joins
    w.Bool(state.waitroom_closed(static_cast<int>(index)));
    w.EndObject();
  }
  w.EndArray();
}

void subjects(Writer& w, const SessionMap& state) {
  std::array<std::size_t, 4> by_state{};
  std::size_t connected = 0;
  for (const auto& [id, subject] : state.subjects) {
    ++by_state[static_cast<std::size_t>(subject.state)];
    connected += subject.connected ? 1 : 0;
  }
  w.StartObject();
  w.Key("total");
  w.Uint64(state.subjects.size());
  w.Key("connected");
  w.Uint64(connected);
  for (SubjectState s : {SubjectState::idle, SubjectState::waiting, SubjectState::in_game, SubjectState::done}) {
    w.Key(state_name(s));
    w.Uint64(by_state[static_cast<std::size_t>(s)]);
  }
  w.EndObject();
}

void games(Writer& w, const SessionMap& state, Millis now, std::size_t listed) {
  std::map<GameStatus, std::size_t> by_status;
  std::vector<const Game*> oldest_first;
  for (const auto& [id, game] : state.games) {
    ++by_status[game.status];
    oldest_first.push_back(&game);
  }
  // Oldest first: a game that has run too long is what a researcher watches for.
  std::size_t shown = std::min(listed, oldest_first.size());
  std::partial_sort(oldest_first.begin(), oldest_first.begin() + static_cast<std::ptrdiff_t>(shown), oldest_first.end(),
                    [](const Game* a, const Game* b) { return std::tie(a->created_at, a->id) < std::tie(b->created_at, b->id); });
  w.StartObject();
  w.Key("total");
  w.Uint64(state.games.size());
  w.Key("by_status");
  w.StartObject();
  for (GameStatus s : {GameStatus::matched, GameStatus::validating, GameStatus::playing, GameStatus::paused}) {
    w.Key(status_name(s));
    w.Uint64(by_status[s]);
  }
  w.EndObject();
  w.Key("list");
  w.StartArray();
  for (std::size_t i = 0; i < shown; ++i) {
    const Game& game = *oldest_first[i];
    w.StartObject();
    w.Key("game_id");
    w.Int64(game.id);
    w.Key("scene_id");
    string(w, state.scene(game.scene).scene_id);
    w.Key("status");
    w.String(status_name(game.status));
    w.Key("age_ms");
    w.Int64(std::max<Millis>(0, now - game.created_at));
    w.Key("players");
    w.StartArray();
    for (const std::string& player : game.players) {
      const Subject* subject = state.subject(player);
      w.StartObject();
      w.Key("subject_id");
      string(w, player);
      w.Key("connected");
      w.Bool(subject && subject->connected);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

// Games are kept in id order, which is creation order, not end order: every game is looked at.
// A few microseconds per thousand games; the dashboard asks at most a few times a second.
void ended(Writer& w, const Analytics& analytics, Millis now, const DashboardLimits& limits) {
  std::map<std::string, std::size_t> by_reason;
  std::vector<const std::vector<SessionRow>*> recent;
  for (const auto& [id, rows] : analytics.rows()) {
    const SessionRow& first = rows.front();
    if (!first.ended || !first.ended_at || *first.ended_at < now - limits.ended_window_ms) continue;
    ++by_reason[game_end_reason(rows)];
    recent.push_back(&rows);
  }
  std::size_t shown = std::min(limits.ended_listed, recent.size());
  std::partial_sort(recent.begin(), recent.begin() + static_cast<std::ptrdiff_t>(shown), recent.end(),
                    [](const auto* a, const auto* b) {
                      return std::tie(*a->front().ended_at, a->front().game_id) > std::tie(*b->front().ended_at, b->front().game_id);
                    });
  std::size_t total = recent.size();
  w.StartObject();
  w.Key("window_ms");
  w.Int64(limits.ended_window_ms);
  w.Key("total");
  w.Uint64(total);
  w.Key("by_reason");
  w.StartObject();
  for (const auto& [reason, count] : by_reason) {
    string(w, reason);
    w.Uint64(count);
  }
  w.EndObject();
  w.Key("recent");
  w.StartArray();
  for (std::size_t i = 0; i < shown; ++i) {
    const std::vector<SessionRow>& rows = *recent[i];
    w.StartObject();
    w.Key("game_id");
    w.Int64(rows.front().game_id);
    w.Key("scene_id");
    string(w, rows.front().scene_id);  // the scene list may have changed since
    w.Key("ended_at");
    w.Int64(*rows.front().ended_at);
    w.Key("reason");
    string(w, game_end_reason(rows));
    w.Key("players");
    w.StartArray();
    for (const SessionRow& row : rows) string(w, row.subject_id);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string dashboard_view(const SessionMap& state, const Analytics& analytics, Seq last_seq, Millis now,
                           const DashboardLimits& limits) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("experiment_id");
  string(w, state.experiment->experiment_id);
  w.Key("last_seq");
  w.Int64(last_seq);
  w.Key("now");
  w.Int64(now);
  w.Key("scenes");
  scenes(w, state, now);
  w.Key("subjects");
  subjects(w, state);
  w.Key("max_participants");  // the cap on subjects ever registered, as the config or the researcher set it
  if (state.max_participants) w.Int64(*state.max_participants);
  else w.Null();
  w.Key("games");
  games(w, state, now, limits.games_listed);
  w.Key("ended");
  ended(w, analytics, now, limits);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace cohort
