#include "replay-tool/rerun.h"

#include <vector>

#include "engine/decider/engine.h"
#include "engine/vocabulary/record_codec.h"
#include "store/checked_scan.h"

namespace cohort {
namespace {

std::string describe(const Record& r) {
  std::string text = r.type;
  if (!r.subject.empty()) text += " subject=" + r.subject;
  if (r.game != kNoGame) text += " game=" + std::to_string(r.game);
  if (!r.payload.empty()) text += " " + r.payload;
  return text;
}

bool same(const Record& logged, const Record& now) {
  return logged.at == now.at && logged.type == now.type && logged.version == now.version &&
         logged.subject == now.subject && logged.game == now.game && logged.scene == now.scene &&
         logged.payload == now.payload;
}

}  // namespace

RerunResult rerun(LogReader& reader, std::shared_ptr<const Experiment> experiment) {
  Engine engine(std::move(experiment));
  RerunResult result;
  std::vector<Record> decided;  // what this build decided for the current command
  std::size_t next = 0;         // the next of them to compare with a logged event
  Seq command_seq = 0;
  auto unmatched_rest = [&]() {
    if (next < decided.size()) {
      result.first_difference = "after record " + std::to_string(command_seq) + " (the events of command " +
                                std::to_string(command_seq) + "): logged nothing more, now " + describe(decided[next]);
    }
  };
  checked_scan(reader, 1, [&](const RecordView& view) {
    if (view.kind == RecordKind::command) {
      unmatched_rest();
      if (result.first_difference) return false;
      Command command = command_from_record(view);
      ++result.commands;
      command_seq = view.seq;
      decided.clear();
      for (const Event& event : engine.execute(command)) decided.push_back(to_record(event));
      next = 0;
      return true;
    }
    Record logged = owned(view);
    if (next >= decided.size()) {
      result.first_difference = "record " + std::to_string(view.seq) + ": logged " + describe(logged) + ", now nothing";
      return false;
    }
    if (!same(logged, decided[next])) {
      result.first_difference =
          "record " + std::to_string(view.seq) + ": logged " + describe(logged) + ", now " + describe(decided[next]);
      return false;
    }
    ++next;
    return true;
  });
  if (!result.first_difference) unmatched_rest();
  return result;
}

}  // namespace cohort
