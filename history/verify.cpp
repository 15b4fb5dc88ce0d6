#include "history/verify.h"

#include "engine/vocabulary/record_codec.h"
#include "history/trusted_snapshot.h"
#include "store/checksum.h"
#include "store/participant_data.h"

#include <algorithm>
#include <unordered_map>

namespace cohort {

VerifyReport verify_log(const std::string& path) {
  LogReader reader(path);
  return verify_log(reader);
}

namespace {

// Where the engine filed a store_data command's data: its data_stored event's subject, game and
// scene, which the data's row must repeat.
struct FiledData {
  std::string subject;
  GameId game = kNoGame;
  int scene = kNoScene;
};

// The participant's data: every row's checksum, and rows and data_stored commands one to one,
// each row filed where its event says. On a live log, rows past the records scanned are newer
// than the scan, and are left for the next.
std::optional<std::string> data_fault(LogReader& reader, std::unordered_map<Seq, FiledData>& expected,
                                      Seq last_scanned) {
  std::optional<std::string> fault;
  reader.scan_data([&](const DataRecord& row, std::uint64_t stored_checksum) {
    if (row.seq > last_scanned) return false;
    auto why = [&](const std::string& text) {
      fault = "data " + std::to_string(row.seq) + ": " + text;
      return false;
    };
    if (data_checksum(row) != stored_checksum) return why("checksum mismatch");
    auto command = expected.find(row.seq);
    if (command == expected.end()) return why("no store_data command with a data_stored event at this position");
    const FiledData& filed = command->second;
    if (filed.subject != row.subject) return why("subject " + row.subject + ", the command's is " + filed.subject);
    if (filed.game != row.game || filed.scene != row.scene) {
      return why("game " + std::to_string(row.game) + " scene " + std::to_string(row.scene) +
                 ", its data_stored event's are game " + std::to_string(filed.game) + " scene " +
                 std::to_string(filed.scene));
    }
    expected.erase(command);
    return true;
  });
  if (!fault && !expected.empty()) {
    Seq first = expected.begin()->first;
    for (const auto& [seq, filed] : expected) first = std::min(first, seq);
    fault = "record " + std::to_string(first) + ": its data_stored event has no row in participant_data";
  }
  return fault;
}

}  // namespace

VerifyReport verify_log(LogReader& reader) {
  VerifyReport report;
  Seq expected = 1;
  Seq last_command = 0;
  auto fault = [&](Seq seq, const std::string& why) {
    report.first_fault = "record " + std::to_string(seq) + ": " + why;
    return false;
  };
  // The store_data commands whose data the engine accepted (a data_stored event), by position:
  // each must have its row in participant_data, with its subject, game and scene, and no row may
  // lack one.
  std::unordered_map<Seq, FiledData> data_commands;
  std::string last_command_subject;
  reader.scan(1, [&](const RecordView& record, std::uint64_t stored_checksum) {
    ++report.records;
    if (record.seq != expected) {
      return fault(record.seq, "position gap: expected " + std::to_string(expected));
    }
    ++expected;
    if (record_checksum(record) != stored_checksum) return fault(record.seq, "checksum mismatch");
    try {
      if (record.kind == RecordKind::command) {
        command_from_record(record);
        last_command = record.seq;
        last_command_subject = record.type == cmd::StoreData::name ? std::string(record.subject) : "";
      } else {
        event_from_record(record);
        if (record.type == ev::DataStored::name) {
          data_commands.emplace(last_command, FiledData{last_command_subject, record.game, record.scene});
        }
        if (record.causation != last_command || last_command == 0) {
          return fault(record.seq, "causation " + std::to_string(record.causation) +
                                       " does not name the command before it");
        }
      }
    } catch (const CodecError& error) {
      return fault(record.seq, error.reason);
    }
    return true;
  });
  if (report.first_fault) return report;
  if ((report.first_fault = data_fault(reader, data_commands, report.records))) return report;
  // The last record is read after the snapshots: on a live log, records committed since the
  // scan may be what a newer snapshot holds.
  std::vector<Snapshot> snapshots = reader.snapshots();
  Seq last_record = reader.last_seq();
  for (const Snapshot& snapshot : snapshots) {
    if (auto why = snapshot_fault(snapshot, last_record)) {
      report.first_fault = "snapshot " + std::to_string(snapshot.seq) + ": " + *why;
      break;
    }
  }
  return report;
}

}  // namespace cohort
