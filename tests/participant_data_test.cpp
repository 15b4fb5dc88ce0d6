// The participant's data (issue 19): stored beside the command that carried it, in its
// transaction, acked only after that commit, bounded per message and per subject; old logs gain
// the tables empty.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <future>

#include "history/verify.h"
#include "replay-tool/data_export.h"
#include "store/log_reader.h"
#include "store/log_writer.h"
#include "store/participant_data.h"
#include "store/schema.h"
#include "tests/support/core_expect.h"
#include "tests/support/engine_harness.h"
#include "tests/support/live_core.h"
#include "tests/support/temp_dir.h"

using namespace cohort;
using namespace cohort::testing;

namespace {

Config data_test_config(const TempDir& dir) {
  Config config;
  Scene game = two_seat_game();
  game.countdown_ms = 0;
  config.experiment = *experiment_with(game);
  config.server.db = dir.file("data.db");
  config.server.durability = Durability::normal;
  return config;
}

std::shared_ptr<FakeSocket> data_sign_in(LiveCore& live, const std::string& subject) {
  auto socket = live.connect();
  live.receive(*socket, R"(42["register_subject",{"subject_id":")" + subject + R"("}])");
  REQUIRE(socket->wait_for("\"registered\""));
  return socket;
}

std::vector<DataRecord> stored_data(const std::string& path) {
  std::vector<DataRecord> rows;
  LogReader reader(path);
  reader.scan_data([&](const DataRecord& row, std::uint64_t stored) {
    CHECK(data_checksum(row) == stored);
    rows.push_back(row);
    return true;
  });
  return rows;
}

const std::string kEpisodeHeader =
    R"(451-7["emit_episode_data",{"data":{"_placeholder":true,"num":0},"scene_id":"cramped_room","episode_num":2}])";

}  // namespace

TEST_CASE("participant data: an episode's bytes are stored under its command, and the ack leaves after the commit",
          "[data]") {
  TempDir dir;
  std::string blob("\x82\xa1t\x92\x00\x01\xa1r\xc0\xff", 10);
  Seq command_seq = 0;
  {
    LiveCore live(data_test_config(dir));
    auto ann = data_sign_in(live, "ann");
    live.receive(*ann, R"(42["advance_scene",{}])");  // in the game scene: the data names it
    live.receive(*ann, R"(42["advance_scene",{}])");  // moved on before its data arrives, as with mug
    std::size_t before = frames_to(live, *ann).size();
    live.receive(*ann, kEpisodeHeader, {blob});
    live.receive(*ann, R"(42["sync_globals",{"mugGlobals":{"subjectName":"ann"}}])");
    live.receive(*ann, R"(42["static_scene_data_emission",{"data":{"q1":"yes"},"scene_id":"consent"}])");
    // then one ack, {status: ok}, after the commit that holds the data (frames_to checks it)
    CHECK(frames_to(live, *ann, before) == std::vector<std::string>{"ack"});
    CHECK(ann->frames().back() == R"(437[{"status":"ok"}])");
    LogReader reader(live.log_path());
    reader.scan(1, [&](const RecordView& record, std::uint64_t) {
      if (record.type == "store_data" && command_seq == 0) command_seq = record.seq;
      return true;
    });
  }
  auto rows = stored_data(dir.file("data.db"));
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].seq == command_seq);
  CHECK(rows[0].kind == "emit_episode_data");
  CHECK(rows[0].subject == "ann");
  CHECK(rows[0].scene == 1);  // the scene the data names, not the one ann stands at now
  CHECK(rows[0].attachments == std::vector<std::string>{blob});
  CHECK(rows[0].json == R"({"data":{"_placeholder":true,"num":0},"scene_id":"cramped_room","episode_num":2})");
  CHECK(rows[1].kind == "sync_globals");
  CHECK(rows[1].scene == 2);  // names none: where ann stands
  CHECK(rows[1].game == kNoGame);
  CHECK(rows[2].scene == 0);
  // Data is not state: the records hold its size, not its bytes.
  SQLite::Database db(dir.file("data.db"), SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("SELECT count(*) FROM records WHERE type = 'data_stored'").getInt() == 3);
  CHECK(db.execAndGet("SELECT count(*) FROM records WHERE instr(payload, 'subjectName') > 0").getInt() == 0);
}

TEST_CASE("participant data: what is refused stores nothing and is acked with its code", "[data]") {
  TempDir dir;
  Config config = data_test_config(dir);
  config.server.max_data_bytes_per_message = 2048;
  config.server.max_data_bytes_per_subject = 5000;
  {
    LiveCore live(config);
    auto stranger = live.connect();
    live.receive(*stranger, kEpisodeHeader, {"x"});
    REQUIRE(stranger->wait_for("437["));
    CHECK(stranger->frames().back().find(R"("code":"not_registered")") != std::string::npos);
    auto bo = data_sign_in(live, "bo");
    live.receive(*bo, kEpisodeHeader, {std::string(2100, 'a')});  // over the bound per message
    for (int i = 0; i < 3; ++i) live.receive(*bo, kEpisodeHeader, {std::string(1900, 'b')});  // the third is past 5000
    live.settle();
    std::vector<std::string> acks;
    for (const std::string& frame : bo->frames()) {
      if (frame.starts_with("437[")) acks.push_back(frame);
    }
    REQUIRE(acks.size() == 4);
    CHECK(acks[0].find(R"("code":"too_large")") != std::string::npos);
    CHECK(acks[1] == R"(437[{"status":"ok"}])");
    CHECK(acks[2] == R"(437[{"status":"ok"}])");
    CHECK(acks[3].find(R"("code":"too_large")") != std::string::npos);
    CHECK(acks[3].find("per subject") != std::string::npos);
  }
  CHECK(stored_data(dir.file("data.db")).size() == 2);
  // After a restart the bound counts what the log holds.
  LiveCore again(config);
  auto bo = data_sign_in(again, "bo");
  again.receive(*bo, kEpisodeHeader, {std::string(1900, 'c')});
  REQUIRE(bo->wait_for("437["));
  CHECK(bo->frames().back().find(R"("code":"too_large")") != std::string::npos);
  auto cy = data_sign_in(again, "cy");  // another subject has its own budget
  again.receive(*cy, kEpisodeHeader, {std::string(1900, 'c')});
  REQUIRE(cy->wait_for("437["));
  CHECK(cy->frames().back() == R"(437[{"status":"ok"}])");
}

TEST_CASE("participant data: the checksum covers every field and every attachment byte", "[data]") {
  DataRecord row{12, 1700000000000, "emit_episode_data", "ann", 3, 1, R"({"a":1})", {"xy", "z"}};
  std::uint64_t sum = data_checksum(row);
  CHECK(data_bytes(row) == 10);
  auto changed = [&](auto edit) {
    DataRecord copy = row;
    edit(copy);
    return data_checksum(copy) != sum;
  };
  CHECK(changed([](DataRecord& r) { r.seq = 13; }));
  CHECK(changed([](DataRecord& r) { r.subject = "anne"; }));
  CHECK(changed([](DataRecord& r) { r.attachments[1] = "Z"; }));
  CHECK(changed([](DataRecord& r) { r.attachments = {"x", "yz"}; }));  // where one ends is summed too
  CHECK(changed([](DataRecord& r) { r.attachments.pop_back(); }));
}

TEST_CASE("participant data: a schema-3 log is read as it is and gains the data tables, empty", "[data][store]") {
  TempDir dir;
  const std::string path = dir.file("old.db");
  {
    LogWriter writer({path, Durability::normal, "", nullptr});
    AppendRequest request;
    request.command = Record{0, 1000, RecordKind::command, "advance_scene", 1, "ann", kNoGame, kNoScene, 0, "conn=1"};
    std::promise<AppendOutcome> done;
    writer.append(std::move(request), [&](const AppendOutcome& o) { done.set_value(o); });
    REQUIRE(done.get_future().get().ok);
  }
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("DROP TABLE participant_data; DROP TABLE participant_attachments; PRAGMA user_version=3");
  }
  {
    LogReader reader(path);
    CHECK(reader.last_seq() == 1);
    CHECK(reader.data_bytes_by_subject().empty());
    CHECK(stored_data(path).empty());
  }
  { LogWriter writer({path, Durability::normal, "", nullptr}); }
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == kSchemaVersion);
  CHECK(db.execAndGet("SELECT count(*) FROM participant_data").getInt() == 0);
  CHECK(db.execAndGet("SELECT payload FROM records WHERE seq = 1").getString() == "conn=1");
}

TEST_CASE("participant data: verify checks each row's checksum and its command; names from clients stay names",
          "[data]") {
  TempDir dir;
  {
    LiveCore live(data_test_config(dir));
    auto ann = data_sign_in(live, "ann");
    live.receive(*ann, kEpisodeHeader, {std::string("\x01\x02\x03", 3)});
    live.settle();
  }
  const std::string path = dir.file("data.db");
  CHECK_FALSE(verify_log(path).first_fault);
  Seq seq = stored_data(path).at(0).seq;
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("UPDATE participant_attachments SET data = x'010204'");
  }
  CHECK(verify_log(path).first_fault == "data " + std::to_string(seq) + ": checksum mismatch");
  {
    // Filed under another scene, with a checksum that matches the changed row: only the row's
    // data_stored event can tell.
    DataRecord moved;
    LogReader(path).scan_data([&](const DataRecord& row, std::uint64_t) {
      moved = row;  // its attachment is the changed one, its checksum no longer matches
      return false;
    });
    moved.scene += 1;
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    SQLite::Statement update(db, "UPDATE participant_data SET scene = ?, checksum = ? WHERE seq = ?");
    update.bind(1, moved.scene);
    update.bind(2, static_cast<std::int64_t>(data_checksum(moved)));
    update.bind(3, static_cast<std::int64_t>(seq));
    update.exec();
  }
  CHECK_THAT(verify_log(path).first_fault.value_or(""),
             Catch::StartsWith("data " + std::to_string(seq) + ": game ") && Catch::Contains("its data_stored event's are"));
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("DELETE FROM participant_attachments; DELETE FROM participant_data");
  }
  CHECK(verify_log(path).first_fault ==
        "record " + std::to_string(seq) + ": its data_stored event has no row in participant_data");

  CHECK(file_name_part("../../etc/passwd") == "______etc_passwd");
  CHECK(file_name_part("..") == "__");
  CHECK(file_name_part("") == "_");
  CHECK(file_name_part(std::string("a\\b/c\0d", 7)) == "a_b_c_d");
  CHECK(file_name_part(std::string(500, 'p')).size() == 48);
  CHECK(file_name_part("PROLIFIC_5f3c-9e") == "PROLIFIC_5f3c-9e");
}
