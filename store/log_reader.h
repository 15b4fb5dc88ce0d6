#pragma once
// Read-only access to a log: by range, streamed, with each record's stored checksum.
// Safe on a live file: WAL readers do not block the writer, and this never writes.
// A log of schema 2 or older, not yet migrated by a server, is read as the migration will leave
// it (store/plain_tokens.h): its resume tokens as hashes, no admin token in its config, no
// snapshot. So every reader of it (cohort-replay, the server's rebuild before it migrates)
// sees one format, and none of them can show a token.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/vocabulary/record.h"
#include "store/participant_data.h"

namespace cohort {

struct Snapshot {
  Seq seq = 0;  // the last record it holds, as its row says
  std::string projection;
  std::string data;
  std::uint64_t stored_checksum = 0;  // the checksum column as written; see snapshot_checksum
};

class LogReader {
 public:
  // Throws StoreError for a missing file, a non-Cohort file or a schema it cannot read.
  explicit LogReader(const std::string& path);
  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  Seq last_seq();
  std::vector<Record> read(Seq from, std::size_t limit);
  // Streams records with seq >= from in order; `visit` returns false to stop early. The view
  // is valid only during the call. `stored_checksum` is the checksum column as written; for a
  // record of a schema-2 log read as schema 3, the checksum of the record as read when the one
  // written matched it, else the one written (so a damaged record still shows as damaged).
  void scan(Seq from, const std::function<bool(const RecordView&, std::uint64_t stored_checksum)>& visit);
  // Called with the seq reached every kProgressEvery records of a scan, for a progress display.
  void on_progress(std::function<void(Seq reached)> report) { progress_ = std::move(report); }
  static constexpr Seq kProgressEvery = 16384;
  // Every stored snapshot, newest first, unchecked. None on a log older than schema 3: they
  // had no checksum (schema 1) or held resume tokens (schema 2), and the migrations drop them.
  std::vector<Snapshot> snapshots();
  // `config` comes without its admin token, whatever the schema.
  std::optional<std::string> meta(const std::string& key);
  // The seq of the last record at or before a time (0 when none).
  Seq last_at_or_before(Millis at);
  // The first record of a type, with its stored checksum, unchecked (nullopt when none). Found
  // by a scan of the table (only the position is indexed), which stops at the first match.
  std::optional<std::pair<Record, std::uint64_t>> first_of_type(const std::string& type);
  // The participant's data (store/participant_data.h), in position order, each row with its
  // attachments (in num order, as stored: a lost one is simply missing) and its stored checksum;
  // `visit` returns false to stop early. None on a log older than schema 4.
  void scan_data(const std::function<bool(const DataRecord&, std::uint64_t stored_checksum)>& visit);
  // The bytes of data stored per subject (the per-subject bound counts from these).
  std::vector<std::pair<std::string, std::int64_t>> data_bytes_by_subject();

 private:
  struct Connection;
  std::unique_ptr<Connection> connection_;
  int schema_version_ = 0;
  std::function<void(Seq)> progress_;
};

}  // namespace cohort
