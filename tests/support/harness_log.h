#pragma once
// A log of the demo experiment as a harness played it: for the tests of what reads logs
// (cohort-replay's commands, the exports).
#include <string>

#include "tests/support/engine_harness.h"
#include "tests/support/temp_dir.h"

namespace cohort::testing {

// Every command of `h` and the events a fresh engine decides for it, appended to `study.db` in
// `dir`, with the demo config in its meta; returns the log's path.
std::string write_harness_log(const TempDir& dir, const Harness& h);

}  // namespace cohort::testing
