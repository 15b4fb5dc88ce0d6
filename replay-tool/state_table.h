#pragma once
// The readable form of `cohort-replay state`: waitrooms, live games with their players, and
// the subjects that are not idle.
#include <string>

#include "projections/session_map.h"

namespace cohort {

std::string state_table(const SessionMap& state, Seq at_seq);

}  // namespace cohort
