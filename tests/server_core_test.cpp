// The server's core without its network, in the shape of the decider tests: given a log (the
// records a first run left, or a fresh file) and the state it implies, when a frame arrives
// from a socket, a deadline falls due or the server starts again, then these frames leave, to
// these sockets, in this order, each only after the commit that holds its notification
// (`frames_to`, tests/support/core_expect.h), and every map the core holds is the one the log
// implies.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <future>
#include <thread>

#include "projections/routing_table.h"
#include "store/log_reader.h"
#include "tests/support/core_expect.h"
#include "tests/support/engine_harness.h"
#include "tests/support/live_core.h"
#include "tests/support/temp_dir.h"

using namespace cohort;
using namespace cohort::testing;
using namespace std::chrono_literals;

namespace {

using Frames = std::vector<std::string>;

Config core_test_config(const TempDir& dir, const Scene& game_scene, int snapshot_every = 10000) {
  Config config;
  config.experiment = *experiment_with(game_scene);
  config.server.db = dir.file("core.db");
  config.server.durability = Durability::normal;
  config.server.snapshot_every = snapshot_every;
  return config;
}

Scene instant_game() {
  Scene scene = two_seat_game();
  scene.countdown_ms = 0;
  scene.reconnection_timeout_ms = 60000;
  return scene;
}

std::shared_ptr<const Experiment> experiment_of(const Config& config) {
  return std::make_shared<const Experiment>(config.experiment);
}

// The token the registered reply carries.
std::string resume_token_in(const std::string& frame) {
  auto at = frame.find("\"resume_token\":\"") + 16;
  return frame.substr(at, frame.find('"', at) - at);
}

std::string register_frame(const std::string& subject, const std::string& token = "") {
  std::string args = R"({"subject_id":")" + subject + '"';
  if (!token.empty()) args += R"(,"resume_token":")" + token + '"';
  return R"(42["register_subject",)" + args + "}]";
}

struct Participant {
  std::shared_ptr<FakeSocket> socket;
  std::string token;
};

// A new socket registers as `subject` (presenting `token` when it has one) and waits for the answer.
Participant sign_in(LiveCore& live, const std::string& subject, const std::string& token = "") {
  Participant participant{live.connect(), token};
  live.receive(*participant.socket, register_frame(subject, token));
  auto reply = participant.socket->wait_for("\"registered\"");
  REQUIRE(reply);
  if (token.empty()) participant.token = resume_token_in(*reply);
  return participant;
}

// Registers, advances to the game scene and joins.
Participant sign_in_and_join(LiveCore& live, const std::string& subject) {
  Participant participant = sign_in(live, subject);
  live.receive(*participant.socket, R"(42["advance_scene",{}])");
  live.receive(*participant.socket, R"(42["join_game",{}])");
  return participant;
}

}  // namespace

TEST_CASE("core: when the second of a pair joins, both get the match and the start, after their commits", "[core]") {
  TempDir dir;
  LiveCore live(core_test_config(dir, instant_game()));
  // given alice waiting in the game scene's waitroom
  Participant alice = sign_in_and_join(live, "alice");
  CHECK(frames_to(live, *alice.socket) == Frames{"registered", "experiment_config", "activate_scene", "terminate_scene",
                                                   "activate_scene", "waiting_room"});
  Participant bob = sign_in(live, "bob");
  live.receive(*bob.socket, R"(42["advance_scene",{}])");
  std::size_t alice_before = alice.socket->sent().size();
  std::size_t bob_before = frames_to(live, *bob.socket).size();
  // when bob's join arrives (and the countdown of 0 ms falls due)
  live.receive(*bob.socket, R"(42["join_game",{}])");
  REQUIRE(bob.socket->wait_for("start_game", bob_before));
  REQUIRE(alice.socket->wait_for("start_game", alice_before));
  // then both sockets get the match, then the start, each frame after its commit
  Frames match{"match_found_countdown", "pyodide_player_assigned", "pyodide_game_ready", "start_game"};
  CHECK(frames_to(live, *alice.socket, alice_before) == match);
  CHECK(frames_to(live, *bob.socket, bob_before) == match);
}

TEST_CASE("core: when a frame with an ack id arrives, the ack leaves to that socket only, after its commit", "[core]") {
  TempDir dir;
  LiveCore live(core_test_config(dir, instant_game()));
  // given alice and bob in a game
  Participant alice = sign_in_and_join(live, "alice");
  Participant bob = sign_in_and_join(live, "bob");
  REQUIRE(bob.socket->wait_for("start_game"));
  REQUIRE(alice.socket->wait_for("start_game"));
  live.settle();
  GameId game = live.core().registry().routing().rooms.begin()->first;
  std::size_t alice_before = frames_to(live, *alice.socket).size();
  std::size_t bob_before = frames_to(live, *bob.socket).size();
  // when alice's metrics arrive with ack id 11
  live.receive(*alice.socket, R"(4211["emit_multiplayer_metrics",{"game_id":)" + std::to_string(game) +
                                   R"(,"metrics":{"score":3}}])");
  // then alice alone gets the ack, after the commit that stored them
  CHECK(frames_to(live, *alice.socket, alice_before) == Frames{"ack"});
  CHECK(alice.socket->frames().back() == R"(4311[{"status":"ok"}])");
  CHECK(frames_to(live, *bob.socket, bob_before).empty());
}

TEST_CASE("core: when a ping arrives, pong leaves to that socket only, after its commit", "[core]") {
  TempDir dir;
  LiveCore live(core_test_config(dir, instant_game()));
  // given two registered subjects
  Participant carol = sign_in(live, "carol");
  Participant dan = sign_in(live, "dan");
  std::size_t carol_before = frames_to(live, *carol.socket).size();
  std::size_t dan_before = frames_to(live, *dan.socket).size();
  // when carol's ping arrives
  live.receive(*carol.socket, R"(42["ping",{"ping_ms":12}])");
  // then carol alone gets pong
  CHECK(frames_to(live, *carol.socket, carol_before) == Frames{"pong"});
  CHECK(frames_to(live, *dan.socket, dan_before).empty());
}

TEST_CASE("core: given a new log, when a socket registers, then registered and activate_scene leave after their commit", "[core]") {
  TempDir dir;
  Config config = core_test_config(dir, instant_game());
  LiveCore live(config);
  auto socket = live.connect();
  // when carol's register_subject arrives
  live.receive(*socket, register_frame("carol"));
  REQUIRE(socket->wait_for("activate_scene"));
  // then registered (with the experiment's client config beside it), then activate_scene, in the
  // order of the log, each once it was committed
  CHECK(frames_to(live, *socket) == Frames{"registered", "experiment_config", "activate_scene"});
  // and the registered frame names the subject the log holds
  auto sent = deliveries(*socket, config.server.db);
  REQUIRE(!sent.empty());
  LogReader reader(config.server.db);
  auto records = reader.read(sent.front().seq, 1);
  REQUIRE(records.size() == 1);
  CHECK(records.front().type == "notification");
  CHECK(records.front().subject == "carol");
  CHECK(records.front().payload.find("event=registered") != std::string::npos);
}

TEST_CASE("core: given a game in play, when the server restarts, the registry is the routing of the whole log, and relays route", "[core]") {
  TempDir dir;
  Config config = core_test_config(dir, instant_game());
  std::string alice_token, bob_token;
  GameId game = kNoGame;
  {  // given a game in play, left in the log by a first run
    LiveCore first(config);
    Participant alice = sign_in_and_join(first, "alice");
    Participant bob = sign_in_and_join(first, "bob");
    REQUIRE(bob.socket->wait_for("start_game"));
    first.settle();
    game = first.core().registry().routing().rooms.begin()->first;
    alice_token = alice.token;
    bob_token = bob.token;
  }
  // when the server starts again on the log
  LiveCore live(config);
  live.settle();
  // then the registry is the routing that the whole log implies, and the sockets of the last run are gone
  RoutingTable registry = live.core().registry().routing();
  CHECK(registry == routing_from_log(config.server.db, experiment_of(config)));
  CHECK(registry == RoutingTable::of(state_from_log(config.server.db, experiment_of(config))));
  REQUIRE(registry.rooms.count(game) == 1);
  CHECK(registry.rooms.at(game) == std::vector<std::string>{"alice", "bob"});
  CHECK(registry.conn_of_subject.empty());

  // when both come back with their tokens
  Participant alice = sign_in(live, "alice", alice_token);
  Participant bob = sign_in(live, "bob", bob_token);
  REQUIRE(bob.socket->wait_for("start_game"));
  // then each gets its game set up again, and it never paused: a restart is not a disconnect
  Frames restored{"registered", "experiment_config", "activate_scene", "session_restored",
                  "pyodide_player_assigned", "pyodide_game_ready", "start_game"};
  CHECK(frames_to(live, *alice.socket) == restored);
  CHECK(frames_to(live, *bob.socket) == restored);
  // and each one's relays reach the other
  auto from_alice = live.core().registry().route(alice.socket->conn(), game);
  auto from_bob = live.core().registry().route(bob.socket->conn(), game);
  REQUIRE(from_alice);
  REQUIRE(from_bob);
  CHECK(from_alice->seat == 0);
  CHECK(from_bob->seat == 1);
  CHECK(from_alice->sockets[1] == bob.socket);
  CHECK(from_bob->sockets[0] == alice.socket);
  CHECK(live.core().registry().routing() == routing_from_log(config.server.db, experiment_of(config)));
}

TEST_CASE("core: given a log of one run, when the server starts again, its connection ids are its own", "[core]") {
  TempDir dir;
  Config config = core_test_config(dir, instant_game());
  ConnId first_run_conn = kNoConn;
  {  // given a log of one run that numbered a socket
    LiveCore first(config);
    CHECK(first.core().start_report().run == 1);
    first_run_conn = first.connect()->conn();
  }
  // when the server starts again
  LiveCore live(config);
  // then it is the second run, and numbers its sockets apart from the first run's
  CHECK(live.core().start_report().run == 2);
  ConnId second_run_conn = live.connect()->conn();
  CHECK(first_run_conn == ServerCore::kConnsPerRun + 1);
  CHECK(second_run_conn == 2 * ServerCore::kConnsPerRun + 1);
}

TEST_CASE("core: given a log that refuses the next record, when a frame arrives, then nothing after it is logged or sent", "[core]") {
  TempDir dir;
  Config config = core_test_config(dir, instant_game(), /*snapshot_every=*/5);
  LiveCore live(config);
  Participant dave = sign_in(live, "dave");
  REQUIRE(dave.socket->wait_for("activate_scene"));
  CHECK(frames_to(live, *dave.socket) == Frames{"registered", "experiment_config", "activate_scene"});
  Seq committed = live.committed();
  {  // given a log that refuses the next record, as a full disk or an I/O error would
    SQLite::Database db(config.server.db, SQLite::OPEN_READWRITE);
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON records WHEN NEW.seq = " + std::to_string(committed + 1) +
            " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  }
  std::size_t frames_before = dave.socket->sent().size();
  // when dave's next frame cannot be committed
  live.receive(*dave.socket, R"(42["advance_scene",{}])");
  live.settle();
  REQUIRE(live.fatal());
  CHECK(live.fatal()->find("injected failure") != std::string::npos);
  {  // and the cause is gone again, so a later batch would commit if anything tried
    SQLite::Database db(config.server.db, SQLite::OPEN_READWRITE);
    db.exec("DROP TRIGGER refuse");
  }
  live.receive(*dave.socket, R"(42["ping",{"ping_ms":20}])");
  auto eve = live.connect();
  live.receive(*eve, register_frame("eve"));
  live.settle();
  std::this_thread::sleep_for(50ms);
  // then nothing decided after the failure is in the log, positions stay gap-free, no snapshot
  // was written past it, and no notification left
  LogReader reader(config.server.db);
  CHECK(reader.last_seq() == committed);
  auto records = reader.read(1, 100000);
  CHECK(static_cast<Seq>(records.size()) == committed);
  for (std::size_t i = 0; i < records.size(); ++i) CHECK(records[i].seq == static_cast<Seq>(i + 1));
  for (const Snapshot& snapshot : reader.snapshots()) CHECK(snapshot.seq <= committed);
  CHECK(frames_to(live, *dave.socket, frames_before).empty());
  CHECK(frames_to(live, *eve).empty());
  CHECK(live.core().pipeline().failed());
}

TEST_CASE("core: given a deadline left in place by one rule and a later one added by another, when each falls due, each fires", "[core]") {
  TempDir dir;
  Scene trio = two_seat_game();
  trio.human_seats = 3;  // two waiters never make a game
  trio.waitroom_timeout_ms = 300;
  LiveCore live(core_test_config(dir, trio));
  auto started = std::chrono::steady_clock::now();
  // given alice's waitroom expiry...
  Participant alice = sign_in_and_join(live, "alice");
  std::this_thread::sleep_for(100ms);
  // ...left in place while bob's join adds a later one
  Participant bob = sign_in_and_join(live, "bob");
  std::size_t alice_before = frames_to(live, *alice.socket).size();
  std::size_t bob_before = frames_to(live, *bob.socket).size();
  REQUIRE(live.core().deadline_timer().armed_at());
  // when each falls due, then each waiter is timed out of the waitroom at its own deadline, and
  // bob, still waiting when alice goes, is told the room's new count first
  CHECK(alice.socket->wait_for("waitroom_timeout", alice_before, 3s));
  auto alice_out = std::chrono::steady_clock::now() - started;
  CHECK(bob.socket->wait_for("waitroom_timeout", bob_before, 3s));
  auto bob_out = std::chrono::steady_clock::now() - started;
  CHECK(alice_out >= 300ms);
  CHECK(bob_out >= 400ms);
  CHECK(frames_to(live, *alice.socket, alice_before) == Frames{"waitroom_timeout"});
  CHECK(frames_to(live, *bob.socket, bob_before) == Frames{"waiting_room", "waitroom_timeout"});
  CHECK(!live.core().deadline_timer().armed_at());  // nothing left to wait for
}

TEST_CASE("core: given a grace running in the log, when the server restarts, its deadline is armed at its logged time", "[core]") {
  TempDir dir;
  Scene scene = instant_game();
  scene.reconnection_timeout_ms = 1500;
  Config config = core_test_config(dir, scene);
  GameId game = kNoGame;
  {  // given a game paused by a lost P2P connection, its grace running
    LiveCore first(config);
    Participant alice = sign_in_and_join(first, "alice");
    Participant bob = sign_in_and_join(first, "bob");
    REQUIRE(bob.socket->wait_for("start_game"));
    first.settle();
    game = first.core().registry().routing().rooms.begin()->first;
    std::size_t bob_before = bob.socket->sent().size();
    first.receive(*alice.socket, R"(42["p2p_connection_lost",{"game_id":)" + std::to_string(game) + R"(,"frame_number":42}])");
    REQUIRE(bob.socket->wait_for("p2p_pause", bob_before));
    CHECK(frames_to(first, *bob.socket, bob_before) == Frames{"p2p_pause"});
  }
  SessionMap logged = state_from_log(config.server.db, experiment_of(config));
  REQUIRE(logged.earliest_deadline());
  Millis grace_end = logged.earliest_deadline()->at;
  // when the server starts again
  LiveCore live(config);
  live.settle();
  // then the grace ends when the log says, not later, and the game with it
  CHECK(live.core().deadline_timer().armed_at() == grace_end);
  for (int i = 0; i < 40 && live.core().registry().routing().rooms.count(game); ++i) std::this_thread::sleep_for(100ms);
  CHECK(live.core().registry().routing().rooms.count(game) == 0);
  SessionMap after = state_from_log(config.server.db, experiment_of(config));
  CHECK(after.games.count(game) == 0);
}

TEST_CASE("core: given a busy engine and a full queue, when more frames arrive, clients are refused, one refusal a second on record", "[core]") {
  TempDir dir;
  Config config = core_test_config(dir, instant_game());
  config.server.max_queued_commands = 100;
  LiveCore live(config);
  Participant frank = sign_in(live, "frank");
  REQUIRE(frank.socket->wait_for("activate_scene"));
  std::size_t frank_before = frames_to(live, *frank.socket).size();
  // given an engine busy with a query, and 100 pings queued behind it
  std::promise<void> release, entered;
  std::shared_future<void> released = release.get_future().share();
  live.core().pipeline().query([released, &entered](const Engine&) {
    entered.set_value();
    released.wait();
  });
  entered.get_future().wait();
  auto offer = [&] {
    return live.core().pipeline().offer(Command{0, "frank", frank.socket->conn(), std::nullopt, cmd::Ping{5, std::nullopt}});
  };
  for (int i = 0; i < 100; ++i) REQUIRE(offer() == Pipeline::Offer::queued);
  // when two more arrive, then the first refusal goes on record and the second does not
  CHECK(offer() == Pipeline::Offer::refused_on_record);
  CHECK(offer() == Pipeline::Offer::refused);
  // and the server's own commands are never refused
  live.core().pipeline().submit(Command{0, "", kNoConn, std::nullopt, cmd::Timer{}});
  release.set_value();
  live.settle();
  int overloaded = 0, pings = 0;
  LogReader reader(config.server.db);
  for (const Record& record : reader.read(1, 100000)) {
    if (record.type == "command_rejected" && record.payload.find("code=overloaded") != std::string::npos) ++overloaded;
    if (record.type == "ping") ++pings;
  }
  CHECK(overloaded == 1);
  CHECK(pings == 100);
  // and frank gets a pong for each queued ping, then the one refusal on record, each after its commit
  Frames answered(100, "pong");
  answered.push_back("error");
  CHECK(frames_to(live, *frank.socket, frank_before) == answered);
  CHECK(frank.socket->frames().back().find("overloaded") != std::string::npos);
}

TEST_CASE("core: given a client's burst of refused frames, its rejections are journaled up to its budget a second", "[core]") {
  TempDir dir;
  Config config = core_test_config(dir, instant_game());
  config.server.rejections_per_s = 5;
  LiveCore live(config);
  Participant grace = sign_in(live, "grace");
  REQUIRE(grace.socket->wait_for("activate_scene"));
  std::size_t grace_before = frames_to(live, *grace.socket).size();
  // when 50 reports about a game that does not exist arrive: each one refused
  for (int i = 0; i < 50; ++i) live.receive(*grace.socket, R"(42["p2p_reconnection_success",{"game_id":99}])");
  live.settle();
  // then 5 are journaled (10 if the burst straddled a second), the rest counted, not logged
  int rejected = 0;
  LogReader reader(config.server.db);
  for (const Record& record : reader.read(1, 100000)) rejected += record.type == "command_rejected";
  CHECK(rejected >= 5);
  CHECK(rejected <= 10);
  CHECK(live.core().metrics().text().find("cohort_rejections_unjournaled_total " + std::to_string(50 - rejected)) !=
        std::string::npos);
  // and grace gets an error for each journaled one, after its commit
  CHECK(frames_to(live, *grace.socket, grace_before) == Frames(static_cast<std::size_t>(rejected), "error"));
  // and the budget is per socket: another client is not held by grace's
  Participant hugo = sign_in(live, "hugo");
  CHECK(hugo.socket->wait_for("activate_scene"));
  CHECK(frames_to(live, *hugo.socket) == Frames{"registered", "experiment_config", "activate_scene"});
}

namespace {

// The count of cohort_match_notify_seconds in the core's /metrics text.
double match_notify_count(LiveCore& live) {
  std::string text = live.core().metrics().text();
  const std::string key = "cohort_match_notify_seconds_count ";
  auto at = text.find(key);
  REQUIRE(at != std::string::npos);
  return std::stod(text.substr(at + key.size()));
}

}  // namespace

TEST_CASE("core: each match a join completes is timed once, when its last notification is handed over", "[core]") {
  TempDir dir;
  LiveCore live(core_test_config(dir, instant_game()));
  CHECK(match_notify_count(live) == 0);
  // given alice waiting: a join that completes nothing is not timed
  Participant alice = sign_in_and_join(live, "alice");
  live.settle();
  CHECK(match_notify_count(live) == 0);
  // when bob's join completes a match, then one observation
  Participant bob = sign_in_and_join(live, "bob");
  REQUIRE(alice.socket->wait_for("start_game"));
  live.settle();
  CHECK(match_notify_count(live) == 1);
  // and a second pair's match is a second one
  Participant carol = sign_in_and_join(live, "carol");
  Participant dave = sign_in_and_join(live, "dave");
  REQUIRE(carol.socket->wait_for("start_game"));
  live.settle();
  CHECK(match_notify_count(live) == 2);
}

namespace {

// Submits `command` awaiting its outcome; returns it with the writer's committed position at
// the moment it was told.
std::pair<CommandOutcome, Seq> submit_awaiting(LiveCore& live, Command command) {
  auto told = std::make_shared<std::promise<std::pair<CommandOutcome, Seq>>>();
  auto future = told->get_future();
  bool queued = live.core().pipeline().submit(std::move(command), [told, &live](CommandOutcome outcome) {
    told->set_value({std::move(outcome), live.core().writer().last_committed()});
  });
  REQUIRE(queued);
  REQUIRE(future.wait_for(5s) == std::future_status::ready);
  return future.get();
}

}  // namespace

TEST_CASE("core: when a command is submitted awaiting its outcome, its caller is told what was decided, after the commit", "[core]") {
  TempDir dir;
  Config config = core_test_config(dir, instant_game());
  LiveCore live(config);
  Participant ivy = sign_in(live, "ivy");
  REQUIRE(ivy.socket->wait_for("activate_scene"));
  std::size_t ivy_before = ivy.socket->sent().size();
  // when a command is submitted by a caller that awaits its outcome (as an admin's request does)
  auto [accepted, committed_then] =
      submit_awaiting(live, Command{0, "ivy", ivy.socket->conn(), std::nullopt, cmd::AdvanceScene{}});
  // then its caller learns the events, their position, and only once they are durable
  REQUIRE(accepted.committed);
  auto holds = [](const CommandOutcome& outcome, auto type) {
    return std::any_of(outcome.events.begin(), outcome.events.end(),
                       [](const Event& event) { return std::holds_alternative<decltype(type)>(event.body); });
  };
  CHECK(holds(accepted, ev::SubjectAdvanced{}));
  CHECK(committed_then >= accepted.seq + static_cast<Seq>(accepted.events.size()));
  LogReader reader(config.server.db);
  auto records = reader.read(accepted.seq, accepted.seq + 1);
  REQUIRE(!records.empty());
  CHECK(records.front().type == "advance_scene");
  // and what the events tell a client leaves as for any command
  CHECK(ivy.socket->wait_for("activate_scene", ivy_before));
  // when the engine refuses one, the refusal is what the caller is told
  CommandOutcome refused = submit_awaiting(live, Command{0, "nobody", kNoConn, std::nullopt, cmd::AdvanceScene{}}).first;
  CHECK(refused.committed);
  CHECK(holds(refused, ev::CommandRejected{}));
  CHECK(!holds(refused, ev::SubjectAdvanced{}));
  // once the pipeline is stopping, nothing is queued and no one waits for an answer
  live.core().stop();
  CHECK(!live.core().pipeline().submit(Command{0, "ivy", kNoConn, std::nullopt, cmd::AdvanceScene{}},
                                       [](CommandOutcome) { FAIL("told after the stop"); }));
}

TEST_CASE("core: given a log that refuses the next record, a caller awaiting a command is told it failed", "[core]") {
  TempDir dir;
  Config config = core_test_config(dir, instant_game());
  LiveCore live(config);
  Participant jo = sign_in(live, "jo");
  REQUIRE(jo.socket->wait_for("activate_scene"));
  live.settle();
  {
    SQLite::Database db(config.server.db, SQLite::OPEN_READWRITE);
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON records WHEN NEW.seq = " + std::to_string(live.committed() + 1) +
            " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  }
  CommandOutcome failed = submit_awaiting(live, Command{0, "jo", kNoConn, std::nullopt, cmd::AdvanceScene{}}).first;
  CHECK(!failed.committed);
  CHECK(failed.error.find("injected failure") != std::string::npos);
  // and so is the next one, which is not even decided
  CommandOutcome next = submit_awaiting(live, Command{0, "jo", kNoConn, std::nullopt, cmd::AdvanceScene{}}).first;
  CHECK(!next.committed);
  CHECK(!next.error.empty());
}
