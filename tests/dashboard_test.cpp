// What the dashboard reads: the study's figures from the projections, the commit latency window
// over the /metrics histogram, and the sign-in checks of /admin/*.
#include <catch2/catch.hpp>

#include "projections/dashboard_view.h"
#include "server/core/latency_window.h"
#include "server/http/url_text.h"
#include "tests/support/engine_harness.h"

using namespace cohort;
using namespace cohort::testing;

TEST_CASE("dashboard view: waiters and the longest wait per scene, live games oldest first", "[dashboard]") {
  Harness h(experiment_with(two_seat_game()));
  h.start_game({"alice", "bob"});
  h.advance(5'000);
  h.start_game({"carol", "dave"});
  h.join("erin");
  h.advance(2'500);
  std::string view = dashboard_view(h.state(), h.projections().analytics, 99, h.now());
  CHECK(view.find(R"("scene_id":"cramped_room","type":"game","subjects":5,"waiting":1,"longest_wait_ms":2500)") !=
        std::string::npos);
  CHECK(view.find(R"("scene_id":"consent","type":"static","subjects":0,"waiting":0,"longest_wait_ms":null)") !=
        std::string::npos);
  CHECK(view.find(R"("subjects":{"total":5,"connected":5,"idle":0,"waiting":1,"in_game":4,"done":0})") != std::string::npos);
  CHECK(view.find(R"("games":{"total":2,"by_status":{"matched":0,"validating":0,"playing":2,"paused":0})") !=
        std::string::npos);
  auto first = view.find(R"("game_id":1,)"), second = view.find(R"("game_id":2,)");
  REQUIRE(first != std::string::npos);
  CHECK(first < second);
  CHECK(view.find(R"("players":[{"subject_id":"alice","connected":true},{"subject_id":"bob","connected":true}])") !=
        std::string::npos);
}

TEST_CASE("dashboard view: which waiting rooms the researcher closed, and the cap on participants", "[dashboard]") {
  Harness h(experiment_with(two_seat_game()));
  h.join("alice");
  std::string before = dashboard_view(h.state(), h.projections().analytics, 1, h.now());
  CHECK(before.find(R"("scene_id":"cramped_room","type":"game","subjects":1,"waiting":1,"longest_wait_ms":0,"waitroom_closed":false})") !=
        std::string::npos);
  CHECK(before.find(R"("max_participants":null)") != std::string::npos);
  auto by_admin = [&h](CommandBody body) { h.run(Command{0, "", kNoConn, std::nullopt, std::move(body)}); };
  by_admin(cmd::AdminCloseWaitroom{"cramped_room", "admin", ""});
  by_admin(cmd::AdminSetMaxParticipants{40, "admin", ""});
  std::string after = dashboard_view(h.state(), h.projections().analytics, 3, h.now());
  CHECK(after.find(R"("scene_id":"cramped_room","type":"game","subjects":1,"waiting":1,"longest_wait_ms":0,"waitroom_closed":true})") !=
        std::string::npos);
  CHECK(after.find(R"("scene_id":"consent","type":"static","subjects":0,"waiting":0,"longest_wait_ms":null,"waitroom_closed":false})") !=
        std::string::npos);
  CHECK(after.find(R"("max_participants":40)") != std::string::npos);
}

TEST_CASE("dashboard view: games listed up to the limit, counted in full", "[dashboard]") {
  Harness h(experiment_with(two_seat_game()));
  h.start_game({"a", "b"});
  h.start_game({"c", "d"});
  h.start_game({"e", "f"});
  std::string view = dashboard_view(h.state(), h.projections().analytics, 1, h.now(), DashboardLimits{.games_listed = 2});
  CHECK(view.find(R"("total":3)") != std::string::npos);
  CHECK(view.find(R"("game_id":2,)") != std::string::npos);
  CHECK(view.find(R"("game_id":3,)") == std::string::npos);
}

TEST_CASE("dashboard view: ended games of the last hour by the game's reason, newest first", "[dashboard]") {
  Harness h(experiment_with(two_seat_game()));
  GameId old = h.start_game({"a", "b"});
  h.send("a", cmd::LeaveGame{});
  h.advance(2 * 3'600'000);
  GameId excluded = h.start_game({"c", "d"});
  h.send("d", cmd::MidGameExclusion{excluded, "tab_hidden", 10});
  h.advance(1'000);
  GameId left = h.start_game({"e", "f"});
  h.send("e", cmd::LeaveGame{});
  std::string view = dashboard_view(h.state(), h.projections().analytics, 1, h.now());
  CHECK(view.find(R"("total":2,"by_reason":{"partner_exclusion":1,"partner_left":1})") != std::string::npos);
  CHECK(view.find("\"game_id\":" + std::to_string(old) + ",") == std::string::npos);
  auto newest = view.find("\"game_id\":" + std::to_string(left) + ",");
  auto older = view.find("\"game_id\":" + std::to_string(excluded) + ",");
  REQUIRE(newest != std::string::npos);
  CHECK(newest < older);
  // The game's reason, not the excluded player's own.
  CHECK(view.find(R"("reason":"partner_exclusion","players":["c","d"])") != std::string::npos);
}

TEST_CASE("commit latency quantiles interpolate within buckets, over the window only", "[dashboard]") {
  HistogramReading before{{0.001, 0.002, 0.005}, {10, 10, 10, 10}, 0.005, 10};
  HistogramReading after{{0.001, 0.002, 0.005}, {10, 60, 110, 110}, 0.205, 110};
  // 100 observations in the window: 50 in (1, 2] ms, 50 in (2, 5] ms.
  CHECK(histogram_quantile(before, after, 0.5) == Approx(0.002));
  CHECK(histogram_quantile(before, after, 0.25) == Approx(0.0015));
  CHECK(histogram_quantile(before, after, 0.99) == Approx(0.002 + 0.003 * 0.98));
  CHECK(histogram_quantile(after, after, 0.5) == 0);
  HistogramReading slow{{0.001}, {0, 5}, 10, 5};
  CHECK(histogram_quantile({}, slow, 0.99) == Approx(0.001));  // beyond the last bound: that bound

  LatencyWindow window(std::chrono::seconds(10));
  auto t0 = std::chrono::steady_clock::time_point{};
  window.add(t0, before);
  LatencyFigures figures = window.add(t0 + std::chrono::seconds(5), after);
  CHECK(figures.commits == 100);
  CHECK(figures.mean_ms == Approx(2.0));
  // No commit since: they count while the window still reaches back before the reading that
  // saw them, and no longer once it does not.
  CHECK(window.add(t0 + std::chrono::seconds(12), after).commits == 100);
  CHECK(window.add(t0 + std::chrono::seconds(16), after).commits == 0);
}

TEST_CASE("URL text: query parameters and form fields decoded", "[dashboard]") {
  CHECK(query_param("/admin/timeline?subject=ann%20b&game=", "subject") == "ann b");
  CHECK(query_param("/admin/timeline?subject=ann+b", "subject") == "ann b");
  CHECK(query_param("/admin/timeline?game=3", "subject") == "");
  CHECK(query_param("/admin/timeline", "game") == "");
  CHECK(form_field("token=a%26b&x=1", "token") == "a&b");
  CHECK_FALSE(form_field("x=1", "token").has_value());
  CHECK(url_decode("100%") == "100%");
  CHECK(url_decode("%zz%4") == "%zz%4");
  CHECK(url_encode("a b/é") == "a%20b%2F%C3%A9");
  CHECK(path_of("/admin/?x=1") == "/admin/");
}
