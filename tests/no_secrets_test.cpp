// No secret in any file (DESIGN.md rule 10, issue 15 item 7): resume tokens reach the log only
// as hashes and the admin token not at all; the socket puts the plain token into the
// `registered` frame it sends; a schema-2 log, which held tokens in plain text, is read as if
// migrated and is migrated in place by the server, and its old tokens still resume.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "engine/vocabulary/record_codec.h"
#include "history/log_experiment.h"
#include "history/trace.h"
#include "history/verify.h"
#include "replay-tool/rerun.h"
#include "server/config.h"
#include "server/core/resume_tokens.h"
#include "store/checksum.h"
#include "store/log_reader.h"
#include "store/log_writer.h"
#include "store/schema.h"
#include "store/store_error.h"
#include "store/token_hash.h"
#include "tests/fixtures/fixture_study.h"
#include "tests/support/engine_harness.h"
#include "tests/support/live_core.h"
#include "tests/support/temp_dir.h"

using namespace cohort;
using namespace cohort::testing;

namespace {

const ev::Notification* registered_in(const std::vector<Event>& events) {
  for (const Event& event : events) {
    const auto* note = std::get_if<ev::Notification>(&event.body);
    if (note && note->event == "registered") return note;
  }
  return nullptr;
}

// Every byte of the log's files: the database and, when there is one, its WAL.
std::string file_bytes(const std::string& db) {
  std::string bytes;
  for (const std::string& path : {db, db + "-wal"}) {
    std::ifstream in(path, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return bytes;
}

// The token a `registered` frame carries ("" when none).
std::string token_in(const std::string& frame) {
  auto at = frame.find("\"resume_token\":\"");
  if (at == std::string::npos) return "";
  at += 16;
  return frame.substr(at, frame.find('"', at) - at);
}

struct Row {
  Record record;
  std::int64_t checksum = 0;
  bool operator==(const Row&) const = default;
};

std::vector<Row> rows_of(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement query(db, "SELECT seq, at, kind, type, version, coalesce(subject, ''), coalesce(game, -1), "
                              "coalesce(scene, -1), coalesce(causation, 0), payload, checksum FROM records ORDER BY seq");
  std::vector<Row> rows;
  while (query.executeStep()) {
    Record r;
    r.seq = query.getColumn(0).getInt64();
    r.at = query.getColumn(1).getInt64();
    r.kind = query.getColumn(2).getString() == "command" ? RecordKind::command : RecordKind::event;
    r.type = query.getColumn(3).getString();
    r.version = query.getColumn(4).getInt();
    r.subject = query.getColumn(5).getString();
    r.game = query.getColumn(6).getInt64();
    r.scene = query.getColumn(7).getInt();
    r.causation = query.getColumn(8).getInt64();
    r.payload = query.getColumn(9).getString();
    rows.push_back(Row{std::move(r), query.getColumn(10).getInt64()});
  }
  return rows;
}

std::vector<std::pair<Record, std::uint64_t>> read_all(const std::string& path) {
  LogReader reader(path);
  std::vector<std::pair<Record, std::uint64_t>> out;
  reader.scan(1, [&](const RecordView& record, std::uint64_t checksum) {
    out.emplace_back(owned(record), checksum);
    return true;
  });
  return out;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

const std::string kOldAdminToken = "t0ken";  // schema-2 logs took any length

// The fixture study as a schema-2 server wrote it: every resume token in plain text (the
// harness's "token-<subject>"), the admin token in meta.config, a snapshot holding tokens.
// Written with raw SQL over the log this build writes, since this build writes no other.
std::string old_fixture(const TempDir& dir) {
  std::string path = dir.file("old.db");
  fixtures::write_fixture_study(path, false);
  std::vector<Record> records;
  std::string config;
  {
    LogReader reader(path);
    reader.scan(1, [&](const RecordView& record, std::uint64_t) {
      records.push_back(owned(record));
      return true;
    });
    config = reader.meta("config").value();
  }
  std::map<std::string, std::string> plain;  // hash -> token
  for (const Record& r : records) {
    if (!r.subject.empty()) plain[token_hash("token-" + r.subject)] = "token-" + r.subject;
  }
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  SQLite::Transaction transaction(db);
  SQLite::Statement update(db, "UPDATE records SET version = ?, payload = ?, checksum = ? WHERE seq = ?");
  for (Record& r : records) {
    if (r.type == "register_subject" || r.type == "subject_registered") {
      r.payload = replace_all(r.payload, "_token_hash=", "_token=");
      for (const auto& [hash, token] : plain) r.payload = replace_all(r.payload, hash, token);
      r.version = 1;
    } else if (r.type == "notification" && r.payload.find("event=registered ") != std::string::npos) {
      std::string member = "\"subject_id\":\"" + r.subject + "\"";
      auto at = r.payload.find(member);
      REQUIRE(at != std::string::npos);
      r.payload.insert(at + member.size(), ",\"resume_token\":\"token-" + r.subject + "\"");
    } else {
      continue;
    }
    update.bind(1, r.version);
    update.bind(2, r.payload);
    update.bind(3, static_cast<std::int64_t>(record_checksum(r)));
    update.bind(4, static_cast<std::int64_t>(r.seq));
    update.exec();
    update.reset();
  }
  config.insert(1, "\"server\": {\"admin_token\": \"" + kOldAdminToken + "\", \"durability\": \"normal\"}, ");
  SQLite::Statement meta(db, "UPDATE meta SET value = ? WHERE key = 'config'");
  meta.bind(1, config);
  meta.exec();
  std::string snapshot = "kind=subject id=ana resume_token=token-ana";
  SQLite::Statement old_snapshot(db, "INSERT INTO snapshots(seq, projection, data, checksum) VALUES(5, 'projections', ?, ?)");
  old_snapshot.bind(1, snapshot.data(), static_cast<int>(snapshot.size()));
  old_snapshot.bind(2, static_cast<std::int64_t>(snapshot_checksum(5, "projections", snapshot)));
  old_snapshot.exec();
  db.exec("DROP TABLE participant_data; DROP TABLE participant_attachments");  // schema 4's
  db.exec("UPDATE meta SET value = '2' WHERE key = 'schema_version'");
  db.exec("PRAGMA user_version = 2");
  transaction.commit();
  return path;
}

}  // namespace

TEST_CASE("decider: the command and its events carry hashes; a matching hash resumes, another is duplicate_session",
          "[secrets]") {
  Harness h(experiment_with(two_seat_game()));
  const auto& first = h.connect("alice");
  const auto& command = std::get<cmd::RegisterSubject>(h.commands.back().body);
  CHECK(command.issued_token_hash == token_hash("token-alice"));
  CHECK_FALSE(command.resume_token_hash);
  REQUIRE(std::holds_alternative<ev::SubjectRegistered>(first.front().body));
  CHECK(std::get<ev::SubjectRegistered>(first.front().body).resume_token_hash == token_hash("token-alice"));
  const ev::Notification* registered = registered_in(first);
  REQUIRE(registered);
  CHECK(registered->args.find("token") == std::string::npos);  // nothing of the token, hashed or not
  CHECK(h.subject("alice").resume_token_hash == token_hash("token-alice"));
  std::string records = to_record(h.commands.back()).payload;
  for (const Event& event : first) records += to_record(event).payload;
  CHECK(records.find("token-alice") == std::string::npos);

  h.send("alice", cmd::AdvanceScene{});
  h.send("alice", cmd::JoinGame{});
  h.disconnect("alice");  // waiting: she leaves the waitroom; now she is idle and disconnected
  // Another tab while alice is connected: the wrong token is refused, the right one takes over.
  h.connect("alice", "token-alice");
  CHECK(h.subject("alice").connected);
  const auto& wrong = h.connect("alice", "token-bob");
  REQUIRE(std::holds_alternative<ev::CommandRejected>(wrong.front().body));
  CHECK(std::get<ev::CommandRejected>(wrong.front().body).code == "duplicate_session");
  const auto& right = h.connect("alice", "token-alice");
  CHECK(std::holds_alternative<ev::SubjectConnected>(right.front().body));
  CHECK(registered_in(right));
}

TEST_CASE("the socket's tokens: the registered frame carries the token whose hash the subject holds", "[secrets]") {
  ResumeTokens tokens;
  auto first = tokens.registration(std::nullopt);
  CHECK_FALSE(first.resume_token_hash);
  REQUIRE(first.issued_token_hash.size() == 64);
  std::string args = R"({"subject_id":"ann","state":"idle","scene_id":"consent","scene_index":0})";
  // A first registration: the token the socket drew.
  std::string sent = tokens.registered_args(args, first.issued_token_hash);
  std::string token = token_in(sent);
  CHECK(token.size() == 32);
  CHECK(token_hash(token) == first.issued_token_hash);
  CHECK(sent == R"({"resume_token":")" + token + R"(","subject_id":"ann","state":"idle","scene_id":"consent","scene_index":0})");
  // The same socket asking again: it still knows it.
  auto again = tokens.registration(std::nullopt);
  CHECK(again.issued_token_hash != first.issued_token_hash);  // drawn fresh every time
  CHECK(token_in(tokens.registered_args(args, first.issued_token_hash)) == token);

  // Another socket, presenting the token: the same token goes back.
  ResumeTokens tab;
  auto resume = tab.registration(token);
  CHECK(resume.resume_token_hash == first.issued_token_hash);
  CHECK(token_in(tab.registered_args(args, first.issued_token_hash)) == token);
  // A socket that took over a subject without its token learns none: nobody knows it any more.
  ResumeTokens stranger;
  stranger.registration(std::string("a-guess"));
  CHECK(stranger.registered_args(args, first.issued_token_hash) == args);
  CHECK(stranger.registered_args("{}", first.issued_token_hash) == "{}");
}

TEST_CASE("core: a client gets its token in the registered frame, resumes with it, and no file holds it", "[secrets]") {
  TempDir dir;
  Config config = parse_config(R"({"experiment_id":"secrets","server":{"admin_token":"an-admin-token-for-this-test"},
    "scenes":[{"scene_id":"consent","type":"static"},
              {"scene_id":"room","type":"game","human_seats":2,"reconnection_timeout_ms":60000},
              {"scene_id":"end","type":"static"}]})");
  config.server.db = dir.file("live.db");
  config.server.durability = Durability::normal;
  std::vector<std::string> tokens;
  {
    LiveCore live(config);
    auto ann = live.connect();
    live.register_subject(*ann, "ann");
    auto registered = ann->wait_for("\"registered\"");
    REQUIRE(registered);
    std::string token = token_in(*registered);
    REQUIRE(token.size() == 32);
    tokens.push_back(token);
    live.disconnect(*ann);
    // Back with the token: the same token in the frame.
    auto back = live.connect();
    live.register_subject(*back, "ann", token);
    REQUIRE(back->wait_for("\"registered\""));
    CHECK(token_in(*back->wait_for("\"registered\"")) == token);
    // A second tab with a guess is refused; one with the token takes over.
    auto guess = live.connect();
    live.register_subject(*guess, "ann", std::string("0123456789abcdef0123456789abcdef"));
    CHECK(guess->wait_for("duplicate_session"));
    auto tab = live.connect();
    live.register_subject(*tab, "ann", token);
    CHECK(tab->wait_for("\"registered\""));
    CHECK(back->wait_for("session_replaced"));
    // A subject who is disconnected and not in a game may be taken over without the token; the
    // new holder gets a new token (resume_token_reissued), never the old one, which the server
    // no longer knows.
    auto bob = live.connect();
    live.register_subject(*bob, "bob");
    auto bob_registered = bob->wait_for("\"registered\"");
    REQUIRE(bob_registered);
    tokens.push_back(token_in(*bob_registered));
    live.disconnect(*bob);
    auto other = live.connect();
    live.register_subject(*other, "bob");
    auto taken = other->wait_for("\"registered\"");
    REQUIRE(taken);
    CHECK_FALSE(token_in(*taken).empty());
    CHECK(token_in(*taken) != tokens.back());
    tokens.push_back(token_in(*taken));
    live.settle();
  }
  std::string bytes = file_bytes(config.server.db);
  for (const std::string& token : tokens) CHECK(bytes.find(token) == std::string::npos);
  CHECK(bytes.find("an-admin-token-for-this-test") == std::string::npos);
  CHECK(bytes.find(token_hash(tokens[0])) != std::string::npos);  // the hash is what the log holds
  LogReader reader(config.server.db);
  CHECK(reader.meta("config")->find("admin_token") == std::string::npos);
  std::string traced;
  trace(reader, TraceTarget{.subject = "ann"}, [&](const RecordView& record) { traced += trace_line(record) + "\n"; });
  CHECK(traced.find(tokens[0]) == std::string::npos);
  CHECK(traced.find("register_subject") != std::string::npos);
}

TEST_CASE("schema 2 -> 3: a log with plain tokens reads as migrated, and the migration leaves the same records",
          "[secrets][store]") {
  TempDir dir;
  std::string fixture = dir.file("fixture.db");
  fixtures::write_fixture_study(fixture, false);
  std::string old = old_fixture(dir);
  REQUIRE(file_bytes(old).find("token-pia") != std::string::npos);
  REQUIRE(file_bytes(old).find("resume_token=token-ana") != std::string::npos);

  SECTION("read before it is migrated: the records this build writes, checksums that verify, no snapshot") {
    CHECK(read_all(old) == read_all(fixture));
    LogReader reader(old);
    CHECK(reader.snapshots().empty());
    CHECK(reader.meta("config")->find(kOldAdminToken) == std::string::npos);
    CHECK_FALSE(verify_log(reader).first_fault);
    OpenedLog opened = open_log(old);
    CHECK_FALSE(rerun(*opened.reader, opened.experiment).first_difference);
    std::string traced;
    trace(*opened.reader, TraceTarget{.subject = "fay"}, [&](const RecordView& r) { traced += trace_line(r) + "\n"; });
    CHECK(traced.find("token-fay") == std::string::npos);
    CHECK(traced.find("issued_token_hash=" + token_hash("token-fay")) != std::string::npos);
    // Reading changed nothing.
    CHECK(file_bytes(old).find("token-pia") != std::string::npos);
  }

  SECTION("migrated in place: byte for byte the records of a new log, no token in the files, verify and rerun pass") {
    { LogWriter writer({old, Durability::normal, "", nullptr}); }
    CHECK(rows_of(old) == rows_of(fixture));
    SQLite::Database db(old, SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("PRAGMA user_version").getInt() == kSchemaVersion);
    CHECK(db.execAndGet("SELECT value FROM meta WHERE key = 'schema_version'").getString() == std::to_string(kSchemaVersion));
    CHECK(db.execAndGet("SELECT count(*) FROM snapshots").getInt() == 0);
    std::string config = db.execAndGet("SELECT value FROM meta WHERE key = 'config'").getString();
    CHECK(config.find("admin_token") == std::string::npos);
    CHECK(config.starts_with("{\"server\": {\"durability\": \"normal\"}, "));
    std::string bytes = file_bytes(old);
    CHECK(bytes.find("token-") == std::string::npos);
    CHECK(bytes.find("resume_token=") == std::string::npos);
    CHECK(bytes.find("\"" + kOldAdminToken + "\"") == std::string::npos);
    LogReader reader(old);
    CHECK_FALSE(verify_log(reader).first_fault);
    OpenedLog opened = open_log(old);
    CHECK_FALSE(rerun(*opened.reader, opened.experiment).first_difference);
  }

  SECTION("the server migrates it at start, and an old token still resumes its game") {
    Config config = parse_config(LogReader(old).meta("config").value());
    config.server.db = old;
    LiveCore live(config);
    auto pia = live.connect();
    live.register_subject(*pia, "pia", std::string("token-pia"));  // pia's game was running when the log ended
    auto registered = pia->wait_for("\"registered\"");
    REQUIRE(registered);
    CHECK(token_in(*registered) == "token-pia");
    CHECK(pia->wait_for("session_restored"));
    live.settle();
    CHECK(SQLite::Database(old, SQLite::OPEN_READONLY).execAndGet("PRAGMA user_version").getInt() == kSchemaVersion);
    CHECK(file_bytes(old).find("token-pia") == std::string::npos);
  }

  SECTION("a damaged record among those with tokens: refused, and the file left as it was") {
    {
      SQLite::Database db(old, SQLite::OPEN_READWRITE);
      db.exec("UPDATE records SET payload = replace(payload, 'token-fay', 'token-fax') WHERE type = 'subject_registered'");
    }
    std::string before = file_bytes(old);
    try {
      LogWriter writer({old, Durability::normal, "", nullptr});
      FAIL("a damaged log was migrated");
    } catch (const StoreError& error) {
      CHECK(std::string(error.what()).find("checksum mismatch") != std::string::npos);
    }
    CHECK(SQLite::Database(old, SQLite::OPEN_READONLY).execAndGet("PRAGMA user_version").getInt() == 2);
    CHECK(rows_of(old) != rows_of(fixture));
    CHECK(file_bytes(old).find("token-fax") != std::string::npos);
    // A reader still shows it damaged.
    LogReader reader(old);
    CHECK(verify_log(reader).first_fault);
  }
}
