#pragma once
// Draws a Timeline as a standalone SVG: one horizontal lane per player, a mark per record.
#include <string>

#include "history/timeline.h"

namespace cohort {

// Records are placed in log order, one column each, so that a burst within one millisecond
// stays readable; the time that passes between two records widens the gap between their
// columns (logarithmically) and is written on the axis when it is a second or more.
std::string timeline_svg(const Timeline& timeline);

}  // namespace cohort
