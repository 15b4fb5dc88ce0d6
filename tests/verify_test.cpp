#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <future>

#include "engine/vocabulary/record_codec.h"
#include "history/verify.h"
#include "store/log_writer.h"
#include "store/store_error.h"
#include "tests/support/temp_dir.h"

using namespace cohort;
using cohort::testing::TempDir;

namespace {

// Three commands with two events each: records 1-9.
std::string write_small_log(const TempDir& dir) {
  std::string path = dir.file("log.db");
  LogWriter writer({path, Durability::normal, "", nullptr});
  for (int i = 0; i < 3; ++i) {
    AppendRequest request;
    request.command = to_record(Command{100, "alice", 1, std::nullopt, cmd::Ping{30 + i, true}});
    request.events.push_back(to_record(Event{100, "alice", kNoGame, 0, ev::RttRecorded{30 + i}}));
    request.events.push_back(
        to_record(Event{100, "alice", kNoGame, 0, ev::Notification{0, "pong", "{}", std::nullopt, false}}));
    writer.append(std::move(request), nullptr);
  }
  writer.flush();
  return path;
}

void damage(const std::string& path, const std::string& sql) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  db.exec(sql);
}

// A snapshot whose header says it holds record `holds`, saved after the log's last record.
void save_snapshot(const std::string& path, Seq holds) {
  LogWriter writer({path, Durability::normal, "", nullptr});
  writer.save_snapshot({"projections", "kind=header version=2 experiment_id=e last_seq=" + std::to_string(holds) +
                                           " last_game_id=0 nonce=0\n"},
                       nullptr);
  writer.flush();
}

}  // namespace

TEST_CASE("verify finds a clean log sound") {
  TempDir dir;
  auto report = verify_log(write_small_log(dir));
  CHECK(report.records == 9);
  CHECK_FALSE(report.first_fault);
}

TEST_CASE("verify names the first record whose payload was changed") {
  TempDir dir;
  auto path = write_small_log(dir);
  damage(path, "UPDATE records SET payload = replace(payload, '31', '99') WHERE seq = 5");
  CHECK(verify_log(path).first_fault == std::optional<std::string>("record 5: checksum mismatch"));
}

TEST_CASE("verify finds a deleted record as a gap") {
  TempDir dir;
  auto path = write_small_log(dir);
  damage(path, "DELETE FROM records WHERE seq = 4");
  CHECK(verify_log(path).first_fault == std::optional<std::string>("record 5: position gap: expected 4"));
}

TEST_CASE("verify rejects an event whose causation names no command before it") {
  TempDir dir;
  std::string path = dir.file("log.db");
  {
    LogWriter writer({path, Durability::normal, "", nullptr});
    AppendRequest request;
    request.command = to_record(Event{1, "a", kNoGame, 0, ev::SubjectDone{}});  // an event where a command belongs
    writer.append(std::move(request), nullptr);
    writer.flush();
  }
  CHECK(verify_log(path).first_fault ==
        std::optional<std::string>("record 1: causation 0 does not name the command before it"));
}

TEST_CASE("verify catches a changed type through the checksum") {
  TempDir dir;
  auto path = write_small_log(dir);
  damage(path, "UPDATE records SET type = 'subject_done' WHERE seq = 2");
  CHECK(verify_log(path).first_fault == std::optional<std::string>("record 2: checksum mismatch"));
}

TEST_CASE("verify reports a well-checksummed record this build cannot decode") {
  TempDir dir;
  std::string path = dir.file("log.db");
  {
    LogWriter writer({path, Durability::normal, "", nullptr});
    AppendRequest request;
    request.command = to_record(Command{1, "a", 1, std::nullopt, cmd::Timer{}});
    Record mystery = to_record(Event{1, "a", kNoGame, 0, ev::SubjectDone{}});
    mystery.type = "mystery_event";
    request.events.push_back(mystery);
    writer.append(std::move(request), nullptr);
    writer.flush();
  }
  CHECK(verify_log(path).first_fault == std::optional<std::string>("record 2: unknown type 'mystery_event'"));
}

TEST_CASE("verify refuses a file that is not a Cohort log") {
  TempDir dir;
  CHECK_THROWS_AS(verify_log(dir.file("none.db")), StoreError);
}

TEST_CASE("verify finds a log with a sound snapshot sound") {
  TempDir dir;
  auto path = write_small_log(dir);
  save_snapshot(path, 9);
  auto report = verify_log(path);
  CHECK(report.records == 9);
  CHECK_FALSE(report.first_fault);
}

TEST_CASE("verify names a snapshot with a changed byte") {
  TempDir dir;
  auto path = write_small_log(dir);
  save_snapshot(path, 9);
  damage(path, "UPDATE snapshots SET data = replace(data, 'experiment_id=e', 'experiment_id=f')");
  CHECK(verify_log(path).first_fault == std::optional<std::string>("snapshot 9: checksum mismatch"));
}

TEST_CASE("verify names a snapshot whose header holds another record than its row") {
  TempDir dir;
  auto path = write_small_log(dir);
  save_snapshot(path, 6);  // intact, as a faulty writer would have sealed it
  CHECK(verify_log(path).first_fault == std::optional<std::string>("snapshot 9: its header holds record 6"));
}

TEST_CASE("verify names a snapshot beyond the last record") {
  TempDir dir;
  auto path = write_small_log(dir);
  save_snapshot(path, 9);
  damage(path, "DELETE FROM records WHERE seq > 6");  // the records it holds are gone; those left are sound
  CHECK(verify_log(path).first_fault == std::optional<std::string>("snapshot 9: beyond the last record (6)"));
}

TEST_CASE("verify names a snapshot without a readable header") {
  TempDir dir;
  auto path = write_small_log(dir);
  {
    LogWriter writer({path, Durability::normal, "", nullptr});
    writer.save_snapshot({"projections", "kind=subject id=ana\n"}, nullptr);
  }
  CHECK(verify_log(path).first_fault == std::optional<std::string>("snapshot 9: snapshot without a header"));
}
