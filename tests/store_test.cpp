#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "engine/vocabulary/record_codec.h"
#include "store/checksum.h"
#include "store/log_lock.h"
#include "store/log_reader.h"
#include "store/log_writer.h"
#include "store/store_error.h"
#include "tests/support/temp_dir.h"

using namespace cohort;
using cohort::testing::TempDir;

namespace {

AppendRequest request_for(const std::string& subject, int events) {
  AppendRequest request;
  request.command = to_record(Command{1000, subject, 1, std::nullopt, cmd::JoinGame{50}});
  for (int i = 0; i < events; ++i) {
    request.events.push_back(to_record(Event{1000, subject, kNoGame, 1, ev::RttRecorded{i}}));
  }
  return request;
}

AppendOutcome append_and_wait(LogWriter& writer, AppendRequest request) {
  std::promise<AppendOutcome> done;
  writer.append(std::move(request), [&](const AppendOutcome& outcome) { done.set_value(outcome); });
  return done.get_future().get();
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

TEST_CASE("positions are gap-free and in commit order under several producer threads", "[store]") {
  TempDir dir;
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 300;
  std::mutex mutex;
  std::map<std::string, std::vector<AppendOutcome>> outcomes;  // per producer, in submission order
  {
    LogWriter writer({dir.file("log.db"), Durability::normal, "", nullptr});
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&, p] {
        std::string subject = "producer-" + std::to_string(p);
        for (int i = 0; i < kPerProducer; ++i) {
          writer.append(request_for(subject, i % 4), [&, subject](const AppendOutcome& outcome) {
            std::lock_guard lock(mutex);
            outcomes[subject].push_back(outcome);
          });
        }
      });
    }
    for (auto& t : producers) t.join();
    writer.flush();
  }

  LogReader reader(dir.file("log.db"));
  auto records = reader.read(1, 1'000'000);
  REQUIRE(static_cast<Seq>(records.size()) == reader.last_seq());
  Seq command_seq = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    CHECK(records[i].seq == static_cast<Seq>(i + 1));
    if (records[i].kind == RecordKind::command) {
      command_seq = records[i].seq;
    } else {
      CHECK(records[i].causation == command_seq);
    }
  }
  // Each producer's requests were committed in the order it submitted them, each whole.
  for (auto& [subject, list] : outcomes) {
    REQUIRE(list.size() == kPerProducer);
    for (std::size_t i = 0; i < list.size(); ++i) {
      CHECK(list[i].ok);
      CHECK(list[i].last_seq - list[i].first_seq == static_cast<Seq>(i % 4));
      if (i) CHECK(list[i].first_seq > list[i - 1].last_seq);
      CHECK(records[list[i].first_seq - 1].subject == subject);
    }
  }
}

TEST_CASE("a failed batch leaves nothing, fails every request in it, and is latched: nothing is written after it",
          "[store]") {
  TempDir dir;
  LogWriter writer({dir.file("log.db"), Durability::full, "", nullptr});
  REQUIRE(append_and_wait(writer, request_for("before", 1)).last_seq == 2);

  AppendRequest bad = request_for("bad", 1);
  bad.events[0].type = "";  // refused by the table's CHECK constraint
  std::promise<AppendOutcome> good_done, bad_done;
  std::vector<std::pair<AppendRequest, AppendDone>> batch;
  batch.emplace_back(request_for("innocent", 2), [&](const AppendOutcome& o) { good_done.set_value(o); });
  batch.emplace_back(std::move(bad), [&](const AppendOutcome& o) { bad_done.set_value(o); });
  writer.append_all(std::move(batch));
  auto good_outcome = good_done.get_future().get();
  auto bad_outcome = bad_done.get_future().get();
  CHECK_FALSE(good_outcome.ok);
  CHECK_FALSE(bad_outcome.ok);
  CHECK_THAT(bad_outcome.error, Catch::Contains("CHECK constraint failed"));
  CHECK(writer.last_committed() == 2);

  CHECK_THAT(writer.failure(), Catch::Contains("CHECK constraint failed"));

  // A sound request after the failure fails with the same error, and so does a snapshot.
  auto after = append_and_wait(writer, request_for("after", 0));
  CHECK_FALSE(after.ok);
  CHECK(after.error == bad_outcome.error);
  std::promise<AppendOutcome> snapshot_done;
  writer.save_snapshot({"projections", "state"}, [&](const AppendOutcome& o) { snapshot_done.set_value(o); });
  CHECK_FALSE(snapshot_done.get_future().get().ok);
  writer.flush();
  CHECK(writer.last_committed() == 2);

  LogReader reader(dir.file("log.db"));
  auto records = reader.read(1, 100);
  REQUIRE(records.size() == 2);
  CHECK(records[1].subject == "before");
  CHECK(reader.snapshots().empty());
}

TEST_CASE("a log reopens after close and continues its numbering", "[store]") {
  TempDir dir;
  {
    LogWriter writer({dir.file("log.db"), Durability::full, "{\"experiment_id\":\"a\"}", nullptr});
    append_and_wait(writer, request_for("s", 2));
  }
  LogWriter writer({dir.file("log.db"), Durability::full, "", nullptr});
  CHECK(writer.last_committed() == 3);
  CHECK(append_and_wait(writer, request_for("s", 0)).first_seq == 4);
  LogReader reader(dir.file("log.db"));
  CHECK(reader.meta("config") == std::optional<std::string>("{\"experiment_id\":\"a\"}"));
  CHECK(reader.meta("schema_version") == std::to_string(kSchemaVersion));
  CHECK(reader.meta("created_by").has_value());
}

TEST_CASE("a WAL torn in the middle of a frame reopens with every transaction before it", "[store]") {
  TempDir dir;
  const std::string live = dir.file("live.db");
  const std::string crashed = dir.file("crashed.db");
  LogWriter writer({live, Durability::full, "", nullptr});
  for (int i = 0; i < 10; ++i) append_and_wait(writer, request_for("s" + std::to_string(i), 1));
  // Copy the file and its WAL while the writer still holds them: the state a kill -9 leaves.
  std::filesystem::copy_file(live, crashed);
  std::filesystem::copy_file(live + "-wal", crashed + "-wal");
  auto wal_size = std::filesystem::file_size(crashed + "-wal");
  REQUIRE(wal_size > 4096);
  std::filesystem::resize_file(crashed + "-wal", wal_size - 100);  // inside the last frame

  LogWriter reopened({crashed, Durability::full, "", nullptr});
  CHECK(reopened.last_committed() == 18);  // the 10th transaction (records 19-20) is gone whole
  LogReader reader(crashed);
  Seq n = 0;
  reader.scan(1, [&](const RecordView& record, std::uint64_t checksum) {
    CHECK(record.seq == ++n);
    CHECK(record_checksum(record) == checksum);
    return true;
  });
  CHECK(n == 18);
}

TEST_CASE("a log from a newer schema is refused and left untouched", "[store]") {
  TempDir dir;
  const std::string path = dir.file("log.db");
  { LogWriter writer({path, Durability::full, "", nullptr}); }
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version=99");
  }
  std::string before = file_bytes(path);
  CHECK_THROWS_WITH(LogWriter({path, Durability::full, "", nullptr}), Catch::Contains("newer Cohort"));
  CHECK_THROWS_WITH(LogReader(path), Catch::Contains("newer Cohort"));
  CHECK(file_bytes(path) == before);
}

TEST_CASE("an SQLite file of something else, a non-SQLite file and a missing file are refused", "[store]") {
  TempDir dir;
  const std::string other = dir.file("other.db");
  {
    SQLite::Database db(other, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE notes(x)");
  }
  CHECK_THROWS_WITH(LogWriter({other, Durability::full, "", nullptr}), Catch::Contains("not a Cohort log"));
  CHECK_THROWS_WITH(LogReader(other), Catch::Contains("not a Cohort log"));

  const std::string text = dir.file("notes.txt");
  std::ofstream(text) << "this is not a database, it is a text file of some length.....";
  CHECK_THROWS_AS(LogReader(text), StoreError);
  CHECK_THROWS_AS(LogWriter({text, Durability::full, "", nullptr}), StoreError);

  CHECK_THROWS_WITH(LogReader(dir.file("missing.db")), Catch::Contains("no such file"));
}

TEST_CASE("the checksum catches a flipped byte in a payload", "[store]") {
  TempDir dir;
  const std::string path = dir.file("log.db");
  {
    LogWriter writer({path, Durability::full, "", nullptr});
    append_and_wait(writer, request_for("alice", 2));
  }
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("UPDATE records SET payload = 'rtt_ms=2' WHERE seq = 2");  // was rtt_ms=0
  }
  LogReader reader(path);
  std::vector<Seq> mismatched;
  reader.scan(1, [&](const RecordView& record, std::uint64_t checksum) {
    if (record_checksum(record) != checksum) mismatched.push_back(record.seq);
    return true;
  });
  CHECK(mismatched == std::vector<Seq>{2});
}

TEST_CASE("snapshots hold the position before them in queue order, newest two kept", "[store]") {
  TempDir dir;
  const std::string path = dir.file("log.db");
  LogWriter writer({path, Durability::normal, "", nullptr});
  for (int round = 0; round < 3; ++round) {
    append_and_wait(writer, request_for("s", 1));
    std::promise<AppendOutcome> saved;
    writer.save_snapshot({"session_map", "state-" + std::to_string(round)},
                         [&](const AppendOutcome& o) { saved.set_value(o); });
    CHECK(saved.get_future().get().first_seq == 2 * (round + 1));
  }
  LogReader reader(path);
  auto snapshots = reader.snapshots();
  REQUIRE(snapshots.size() == 2);
  CHECK(snapshots[0].seq == 6);
  CHECK(snapshots[0].projection == "session_map");
  CHECK(snapshots[0].data == "state-2");
  CHECK(snapshots[0].stored_checksum == snapshot_checksum(6, "session_map", "state-2"));
  CHECK(snapshots[1].seq == 4);
  CHECK(snapshots[1].data == "state-1");
}

TEST_CASE("the snapshot checksum covers the position, the projection and every byte of the data", "[store]") {
  const std::string data = "kind=header version=1 experiment_id=e last_seq=6\nkind=subject id=ana\n";
  const std::uint64_t sum = snapshot_checksum(6, "projections", data);
  CHECK(snapshot_checksum(6, "projections", data) == sum);
  CHECK(snapshot_checksum(7, "projections", data) != sum);  // the same data moved to another row
  CHECK(snapshot_checksum(6, "analytics", data) != sum);
  for (std::size_t at : {std::size_t{0}, data.size() / 2, data.size() - 1}) {
    std::string flipped = data;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x01);
    CHECK(snapshot_checksum(6, "projections", flipped) != sum);
  }
  // Length-prefixed: where the name ends and the data begins is part of what is summed.
  CHECK(snapshot_checksum(6, "projectionsk", data.substr(1)) != sum);
}

TEST_CASE("a schema-1 log is read as it is, and migrated in place with its snapshots dropped", "[store]") {
  TempDir dir;
  const std::string path = dir.file("log.db");
  {
    LogWriter writer({path, Durability::full, "", nullptr});
    append_and_wait(writer, request_for("s", 2));
  }
  {
    // What a schema-1 build left: a snapshots table without a checksum, holding one.
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("DROP TABLE snapshots");
    db.exec("CREATE TABLE snapshots (seq INTEGER NOT NULL, projection TEXT NOT NULL, data BLOB NOT NULL, "
            "PRIMARY KEY (projection, seq))");
    db.exec("INSERT INTO snapshots VALUES (3, 'projections', 'old')");
    db.exec("DROP TABLE participant_data; DROP TABLE participant_attachments");  // schema 4's
    db.exec("PRAGMA user_version=1");
  }
  {
    LogReader reader(path);
    CHECK(reader.last_seq() == 3);
    CHECK(reader.snapshots().empty());  // no checksum: not offered
  }
  LogWriter writer({path, Durability::full, "", nullptr});
  CHECK(writer.last_committed() == 3);
  std::promise<AppendOutcome> saved;
  writer.save_snapshot({"projections", "new"}, [&](const AppendOutcome& o) { saved.set_value(o); });
  REQUIRE(saved.get_future().get().ok);
  LogReader reader(path);
  CHECK(reader.meta("schema_version") == std::to_string(kSchemaVersion));
  auto snapshots = reader.snapshots();
  REQUIRE(snapshots.size() == 1);
  CHECK(snapshots[0].data == "new");
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == kSchemaVersion);
}

TEST_CASE("a reader sees committed records while the writer keeps the log open (WAL)", "[store]") {
  TempDir dir;
  const std::string path = dir.file("log.db");
  LogWriter writer({path, Durability::full, "", nullptr});
  append_and_wait(writer, request_for("s", 1));
  LogReader reader(path);
  CHECK(reader.last_seq() == 2);
  append_and_wait(writer, request_for("s", 1));
  CHECK(reader.last_seq() == 4);
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
}

TEST_CASE("one LogLock per log: a second is refused, even in the same process, until the first is gone", "[store]") {
  TempDir dir;
  const std::string path = dir.file("log.db");
  {
    LogLock held(path);
    std::string refused = "is held by another cohort-server (pid " + std::to_string(getpid()) + ")";
    CHECK_THROWS_WITH(LogLock(path), Catch::Contains(path + " " + refused) && Catch::EndsWith("; stop it or use another --db"));
    // Another log is not held.
    LogLock other(dir.file("other.db"));
    // Readers take no lock: the held log is read while a writer commits to it.
    LogWriter writer({path, Durability::normal, "", nullptr});
    append_and_wait(writer, request_for("s", 1));
    LogReader reader(path);
    CHECK(reader.last_seq() == 2);
    // Through a symlink it is the same log, and the same lock.
    std::filesystem::create_symlink(path, dir.file("link.db"));
    CHECK_THROWS_WITH(LogLock(dir.file("link.db")), Catch::Contains(refused));
  }
  LogLock again(path);  // released with its holder
}

TEST_CASE("a LogLock that cannot create its file says why", "[store]") {
  TempDir dir;
  CHECK_THROWS_WITH(LogLock(dir.file("missing-dir/log.db")),
                    Catch::StartsWith("cannot open ") && Catch::Contains("log.db.lock to lock the log (No such file"));
}
