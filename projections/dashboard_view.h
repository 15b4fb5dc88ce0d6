#pragma once
// What the researcher's dashboard shows of the study, read from the projections: per scene the
// subjects there, the waiters, the longest wait and whether the researcher closed its waiting
// room; the cap on participants; live games by status with their players and
// age; games ended in the last hour by end reason. JSON; the server adds its own figures.
#include <cstddef>
#include <string>

#include "projections/analytics.h"
#include "projections/session_map.h"

namespace cohort {

struct DashboardLimits {
  std::size_t games_listed = 200;  // live games listed one by one, oldest first (counts cover all)
  std::size_t ended_listed = 25;   // most recent ended games listed
  Millis ended_window_ms = 3'600'000;
};

// `now` in ms since the epoch, for ages and the window of ended games.
std::string dashboard_view(const SessionMap& state, const Analytics& analytics, Seq last_seq, Millis now,
                           const DashboardLimits& limits = {});

}  // namespace cohort
