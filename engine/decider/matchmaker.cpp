#include "engine/decider/matchmaker.h"

#include <algorithm>

namespace cohort {
namespace {

bool compatible(const SessionMap& state, const Scene& scene, int scene_index, const Subject& a, const Subject& b) {
  if (state.failed_together(scene_index, a.id, b.id)) return false;
  if (scene.matchmaker.kind == Matchmaker::Kind::latency_fifo && a.rtt_ms && b.rtt_ms) {
    return *a.rtt_ms + *b.rtt_ms <= scene.matchmaker.max_rtt_ms;
  }
  return true;
}

std::optional<std::vector<std::string>> reunion_group(const SessionMap& state, const Scene& scene,
                                                      const std::vector<std::string>& room) {
  for (const std::string& id : room) {
    const Subject& waiter = *state.subject(id);
    if (waiter.last_partners.empty() || waiter.absent) continue;
    std::vector<std::string> group{id};
    for (const std::string& partner : waiter.last_partners) {
      if (std::find(room.begin(), room.end(), partner) == room.end() || state.subject(partner)->absent) break;
      group.push_back(partner);
    }
    if (static_cast<int>(group.size()) == scene.human_seats) {
      // Seat order follows arrival order in the waitroom.
      std::sort(group.begin(), group.end(), [&](const std::string& x, const std::string& y) {
        return std::find(room.begin(), room.end(), x) < std::find(room.begin(), room.end(), y);
      });
      return group;
    }
  }
  return std::nullopt;
}

bool open_to_strangers(const Scene& scene, const Subject& waiter) {
  if (scene.matchmaker.kind != Matchmaker::Kind::group_reunion || waiter.last_partners.empty()) return true;
  if (waiter.reunion_deadline != 0) return false;  // still waiting for its partners
  return scene.matchmaker.fallback == Matchmaker::Fallback::fifo;
}

}  // namespace

std::optional<std::vector<std::string>> find_group(const SessionMap& state, int scene_index) {
  const Scene& scene = state.scene(scene_index);
  const auto& room = state.waitrooms.at(static_cast<std::size_t>(scene_index));
  const auto seats = static_cast<std::size_t>(scene.human_seats);
  if (room.size() < seats) return std::nullopt;
  if (scene.matchmaker.kind == Matchmaker::Kind::group_reunion) {
    if (auto group = reunion_group(state, scene, room)) return group;
  }
  std::vector<const Subject*> open;
  for (const std::string& id : room) {
    const Subject* waiter = state.subject(id);
    // An absent waiter keeps its place, but is matched only once it is back.
    if (waiter && !waiter->absent && open_to_strangers(scene, *waiter)) open.push_back(waiter);
  }
  for (std::size_t anchor = 0; anchor + seats <= open.size(); ++anchor) {
    std::vector<const Subject*> group{open[anchor]};
    for (std::size_t j = anchor + 1; j < open.size() && group.size() < seats; ++j) {
      bool fits = std::all_of(group.begin(), group.end(), [&](const Subject* member) {
        return compatible(state, scene, scene_index, *member, *open[j]);
      });
      if (fits) group.push_back(open[j]);
    }
    if (group.size() == seats) {
      std::vector<std::string> ids;
      for (const Subject* member : group) ids.push_back(member->id);
      return ids;
    }
  }
  return std::nullopt;
}

}  // namespace cohort
