#pragma once
// `cohort-replay export LOG --data DIR`: the participant's data (store/participant_data.h) as
// files a researcher can open. DIR/<kind>.jsonl holds one line per row, in position order:
//   {"seq", "at", "subject", "game", "scene_index", "scene_id", "data": the event's object as
//    received (placeholders in place), "attachments": [{"num", "file", "bytes"}]}
// and each binary attachment is a file of its own, DIR/<kind>/<seq>-<subject>-<scene>-<num>.bin,
// byte for byte as the client sent it. Subject and scene ids come from clients and configs, so in
// a file name they keep only [A-Za-z0-9_-] (anything else becomes `_`) and at most 48 characters:
// no path separator, no `..`, and the position and num, unique per attachment, keep two names
// from colliding. Works on a live log: what it reads is one snapshot of it.
#include <cstddef>
#include <string>

#include "history/log_experiment.h"

namespace cohort {

struct DataExportReport {
  std::size_t rows = 0;
  std::size_t files = 0;
};

// Throws std::runtime_error when DIR cannot be made or written.
DataExportReport export_data(OpenedLog& log, const std::string& dir);

// A client's or config's id as a piece of a file name (above).
std::string file_name_part(std::string_view id);

}  // namespace cohort
