#include "tests/support/harness_log.h"

#include "engine/vocabulary/record_codec.h"
#include "server/config.h"
#include "store/log_writer.h"

namespace cohort::testing {

std::string write_harness_log(const TempDir& dir, const Harness& h) {
  std::string path = dir.file("study.db");
  LogWriter writer({path, Durability::normal, demo_config().json, nullptr});
  // Re-run the commands through a fresh engine so that each command's events are known.
  Engine engine(std::make_shared<Experiment>(demo_config().experiment));
  for (const Command& command : h.commands) {
    AppendRequest request;
    request.command = to_record(command);
    for (const Event& event : engine.execute(command)) request.events.push_back(to_record(event));
    writer.append(std::move(request), nullptr);
  }
  writer.flush();
  return path;
}

}  // namespace cohort::testing
