// The server's core without its network: given a log, when sockets send commands (or the
// server restarts on the log), then these frames leave, after the commit, and every map the
// core holds is the one the log implies.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <future>
#include <thread>

#include "projections/routing_table.h"
#include "store/log_reader.h"
#include "tests/support/engine_harness.h"
#include "tests/support/live_core.h"
#include "tests/support/temp_dir.h"

using namespace cohort;
using namespace cohort::testing;
using namespace std::chrono_literals;

namespace {

Config config_for(const TempDir& dir, const Scene& game_scene, int snapshot_every = 10000) {
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

// The token the registered reply carries.
std::string token_in(const std::string& frame) {
  auto at = frame.find("\"resume_token\":\"") + 16;
  return frame.substr(at, frame.find('"', at) - at);
}

struct Player {
  std::shared_ptr<FakeSocket> socket;
  std::string token;
};

// A subject registers, advances to the game scene and joins.
Player join(LiveCore& live, const std::string& subject) {
  Player player{live.connect(), ""};
  live.register_subject(*player.socket, subject);
  auto registered = player.socket->wait_for("\"registered\"");
  REQUIRE(registered);
  player.token = token_in(*registered);
  live.send(*player.socket, cmd::AdvanceScene{});
  live.send(*player.socket, cmd::JoinGame{});
  return player;
}

Player come_back(LiveCore& live, const std::string& subject, const std::string& token) {
  Player player{live.connect(), token};
  live.register_subject(*player.socket, subject, token);
  REQUIRE(player.socket->wait_for("\"registered\""));
  return player;
}

std::shared_ptr<const Experiment> experiment_of(const Config& config) {
  return std::make_shared<const Experiment>(config.experiment);
}

}  // namespace

TEST_CASE("core: after a restart the registry is the routing the whole log implies, and relays route", "[core]") {
  TempDir dir;
  Config config = config_for(dir, instant_game());
  std::string alice_token, bob_token;
  GameId game = kNoGame;
  {  // given a game in play
    LiveCore live(config);
    Player alice = join(live, "alice");
    Player bob = join(live, "bob");
    REQUIRE(bob.socket->wait_for("start_game"));
    live.settle();
    game = live.core().registry().routing().rooms.begin()->first;
    alice_token = alice.token;
    bob_token = bob.token;
  }
  // when the server starts again on the log
  LiveCore live(config);
  live.settle();
  RoutingTable registry = live.core().registry().routing();
  CHECK(registry == routing_from_log(config.server.db, experiment_of(config)));
  CHECK(registry == RoutingTable::of(state_from_log(config.server.db, experiment_of(config))));
  REQUIRE(registry.rooms.count(game) == 1);
  CHECK(registry.rooms.at(game) == std::vector<std::string>{"alice", "bob"});
  CHECK(registry.conn_of_subject.empty());  // the sockets of the last run are gone

  // then both come back to their game, and each one's relays reach the other
  Player alice = come_back(live, "alice", alice_token);
  Player bob = come_back(live, "bob", bob_token);
  CHECK(bob.socket->wait_for("session_restored"));
  CHECK(bob.socket->wait_for("start_game"));  // a restart is not a disconnect: the game never paused
  live.settle();
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

TEST_CASE("core: connection ids are unique across runs of the server", "[core]") {
  TempDir dir;
  Config config = config_for(dir, instant_game());
  ConnId first_run_conn = kNoConn;
  {
    LiveCore live(config);
    CHECK(live.core().start_report().run == 1);
    first_run_conn = live.connect()->conn();
  }
  LiveCore live(config);
  CHECK(live.core().start_report().run == 2);
  ConnId second_run_conn = live.connect()->conn();
  CHECK(first_run_conn == ServerCore::kConnsPerRun + 1);
  CHECK(second_run_conn == 2 * ServerCore::kConnsPerRun + 1);
}

TEST_CASE("core: a notification leaves only after its commit, in commit order", "[core]") {
  TempDir dir;
  Config config = config_for(dir, instant_game());
  LiveCore live(config);
  auto socket = live.connect();
  live.register_subject(*socket, "carol");
  auto registered = socket->wait_for("\"registered\"");
  REQUIRE(registered);
  // The frame names the subject the log holds, at a position already committed.
  LogReader reader(config.server.db);
  bool logged = false;
  for (const Record& record : reader.read(1, 1000)) {
    if (record.type == "notification" && record.subject == "carol" && record.payload.find("event=registered") != std::string::npos) {
      logged = true;
    }
  }
  CHECK(logged);
  auto activate = socket->wait_for("activate_scene");
  REQUIRE(activate);
  auto frames = socket->frames();
  CHECK(frames.front() == *registered);  // registered, then activate_scene: the order of the log
}

TEST_CASE("core: a failed commit stops everything after it", "[core]") {
  TempDir dir;
  Config config = config_for(dir, instant_game(), /*snapshot_every=*/5);
  LiveCore live(config);
  auto dave = live.connect();
  live.register_subject(*dave, "dave");
  REQUIRE(dave->wait_for("activate_scene"));
  live.settle();
  Seq committed = live.core().writer().last_committed();
  {  // given a log that refuses the next record, as a full disk or an I/O error would
    SQLite::Database db(config.server.db, SQLite::OPEN_READWRITE);
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON records WHEN NEW.seq = " + std::to_string(committed + 1) +
            " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  }
  std::size_t frames_before = dave->frames().size();
  // when dave's next command cannot be committed
  live.send(*dave, cmd::AdvanceScene{});
  live.settle();
  REQUIRE(live.fatal());
  CHECK(live.fatal()->find("injected failure") != std::string::npos);
  {  // and the cause is gone again, so a later batch would commit if anything tried
    SQLite::Database db(config.server.db, SQLite::OPEN_READWRITE);
    db.exec("DROP TRIGGER refuse");
  }
  live.send(*dave, cmd::Ping{20, std::nullopt});
  auto eve = live.connect();
  live.register_subject(*eve, "eve");
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
  CHECK(dave->frames().size() == frames_before);
  CHECK(eve->frames().empty());
  CHECK(live.core().pipeline().failed());
}

TEST_CASE("core: a deadline left in place by one rule and a later one added by another both fire", "[core]") {
  TempDir dir;
  Scene trio = two_seat_game();
  trio.human_seats = 3;  // two waiters never make a game
  trio.waitroom_timeout_ms = 300;
  LiveCore live(config_for(dir, trio));
  auto started = std::chrono::steady_clock::now();
  Player alice = join(live, "alice");   // her waitroom expiry...
  std::this_thread::sleep_for(100ms);
  Player bob = join(live, "bob");       // ...stays in place while his join adds a later one
  live.settle();
  auto armed = live.core().deadline_timer().armed_at();
  REQUIRE(armed);
  CHECK(alice.socket->wait_for("waitroom_timeout", 0, 3s));
  auto alice_out = std::chrono::steady_clock::now() - started;
  CHECK(bob.socket->wait_for("waitroom_timeout", 0, 3s));
  auto bob_out = std::chrono::steady_clock::now() - started;
  CHECK(alice_out >= 300ms);
  CHECK(bob_out >= 400ms);
  live.settle();
  CHECK(!live.core().deadline_timer().armed_at());  // nothing left to wait for
}

TEST_CASE("core: after a restart the earliest deadline of the state is armed, at its logged time", "[core]") {
  TempDir dir;
  Scene scene = instant_game();
  scene.reconnection_timeout_ms = 1500;
  Config config = config_for(dir, scene);
  GameId game = kNoGame;
  {  // given a game paused by a lost P2P connection, its grace running
    LiveCore live(config);
    Player alice = join(live, "alice");
    Player bob = join(live, "bob");
    REQUIRE(bob.socket->wait_for("start_game"));
    live.settle();
    game = live.core().registry().routing().rooms.begin()->first;
    live.send(*alice.socket, cmd::ConnectionLost{game, 42});
    REQUIRE(bob.socket->wait_for("p2p_pause"));
  }
  SessionMap logged = state_from_log(config.server.db, std::make_shared<const Experiment>(config.experiment));
  REQUIRE(logged.earliest_deadline());
  Millis grace_end = logged.earliest_deadline()->at;
  // when the server starts again, then the grace ends when the log says, not later
  LiveCore live(config);
  live.settle();
  CHECK(live.core().deadline_timer().armed_at() == grace_end);
  for (int i = 0; i < 40 && live.core().registry().routing().rooms.count(game); ++i) std::this_thread::sleep_for(100ms);
  CHECK(live.core().registry().routing().rooms.count(game) == 0);
  SessionMap after = state_from_log(config.server.db, std::make_shared<const Experiment>(config.experiment));
  CHECK(after.games.count(game) == 0);
}

TEST_CASE("core: a full engine queue refuses clients, and puts one refusal a second on record", "[core]") {
  TempDir dir;
  Config config = config_for(dir, instant_game());
  config.server.max_queued_commands = 100;
  LiveCore live(config);
  auto frank = live.connect();
  live.register_subject(*frank, "frank");
  REQUIRE(frank->wait_for("activate_scene"));
  std::promise<void> release, entered;
  std::shared_future<void> released = release.get_future().share();
  live.core().pipeline().query([released, &entered](const Engine&) {  // the engine is busy
    entered.set_value();
    released.wait();
  });
  entered.get_future().wait();
  auto offer = [&] { return live.core().pipeline().offer(Command{0, "frank", frank->conn(), std::nullopt, cmd::Ping{5, std::nullopt}}); };
  for (int i = 0; i < 100; ++i) REQUIRE(offer() == Pipeline::Offer::queued);
  CHECK(offer() == Pipeline::Offer::refused_on_record);
  CHECK(offer() == Pipeline::Offer::refused);
  // The server's own commands are never refused.
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
  CHECK(frank->wait_for("overloaded"));
}

TEST_CASE("core: a client's rejections are journaled up to its budget a second", "[core]") {
  TempDir dir;
  Config config = config_for(dir, instant_game());
  config.server.rejections_per_s = 5;
  LiveCore live(config);
  auto grace = live.connect();
  live.register_subject(*grace, "grace");
  REQUIRE(grace->wait_for("activate_scene"));
  live.settle();
  for (int i = 0; i < 50; ++i) {  // leave_game while idle: each one refused
    live.core().pipeline().offer(Command{0, "grace", grace->conn(), std::nullopt, cmd::LeaveGame{}});
  }
  live.settle();
  int rejected = 0;
  LogReader reader(config.server.db);
  for (const Record& record : reader.read(1, 100000)) rejected += record.type == "command_rejected";
  CHECK(rejected >= 5);
  CHECK(rejected <= 10);  // 5, or 10 if the burst straddled a second
  CHECK(live.core().metrics().text().find("cohort_rejections_unjournaled_total " + std::to_string(50 - rejected)) !=
        std::string::npos);
  // The budget is per socket: another client is not held by grace's.
  auto hugo = live.connect();
  live.register_subject(*hugo, "hugo");
  CHECK(hugo->wait_for("activate_scene"));
}
