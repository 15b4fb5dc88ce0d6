#include "replay-tool/state_table.h"

#include <algorithm>
#include <vector>

namespace cohort {

std::string state_table(const SessionMap& state, Seq at_seq) {
  std::string out = "state after record " + std::to_string(at_seq) + "\n\nwaitrooms:\n";
  for (std::size_t scene = 0; scene < state.waitrooms.size(); ++scene) {
    if (!state.scene(static_cast<int>(scene)).is_game) continue;
    out += "  " + state.scene(static_cast<int>(scene)).scene_id + ":";
    for (const auto& id : state.waitrooms[scene]) out += " " + id;
    if (state.waitrooms[scene].empty()) out += " (empty)";
    out += state.waitroom_closed(static_cast<int>(scene)) ? "  [closed by the researcher]\n" : "\n";
  }
  if (state.max_participants) out += "  at most " + std::to_string(*state.max_participants) + " participants\n";
  out += "\ngames (" + std::to_string(state.games.size()) + " live):\n";
  for (const auto& [id, game] : state.games) {
    out += "  " + std::to_string(id) + "  " + state.scene(game.scene).scene_id + "  " + status_name(game.status) + " ";
    for (std::size_t seat = 0; seat < game.players.size(); ++seat) {
      out += " " + std::to_string(seat) + "=" + game.players[seat];
    }
    out += "\n";
  }
  std::vector<const Subject*> busy;
  for (const auto& [id, subject] : state.subjects) {
    if (subject.state != SubjectState::idle) busy.push_back(&subject);
  }
  std::sort(busy.begin(), busy.end(), [](const Subject* a, const Subject* b) { return a->id < b->id; });
  out += "\nsubjects not idle (" + std::to_string(busy.size()) + " of " + std::to_string(state.subjects.size()) + "):\n";
  for (const Subject* subject : busy) {
    out += "  " + subject->id + "  " + state_name(subject->state) + "  " + state.scene(subject->scene).scene_id;
    if (subject->game != kNoGame) out += "  game " + std::to_string(subject->game);
    out += subject->connected ? "\n" : "  (disconnected)\n";
  }
  return out;
}

}  // namespace cohort
