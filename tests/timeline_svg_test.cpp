// The SVG timeline carries ids that participants' browsers chose: it must stay well-formed XML.
#include <catch2/catch.hpp>

#include "history/timeline_svg.h"

using namespace cohort;

namespace {

Record command_record(Seq seq, Millis at, std::string type, std::string subject) {
  Record record;
  record.seq = seq;
  record.at = at;
  record.kind = RecordKind::command;
  record.type = std::move(type);
  record.subject = std::move(subject);
  return record;
}

}  // namespace

TEST_CASE("timeline SVG escapes what subjects named themselves", "[timeline]") {
  Timeline timeline;
  timeline.title = "subject <b>&co";
  timeline.lanes = {"<b>&co\"'"};
  timeline.records.push_back({command_record(1, 1000, "join_game", "<b>&co\"'"), {0}});
  std::string svg = timeline_svg(timeline);
  CHECK(svg.find("<b>") == std::string::npos);
  CHECK(svg.find("&lt;b&gt;&amp;co&quot;&#39;") != std::string::npos);
}

TEST_CASE("timeline SVG replaces control characters, which XML text cannot hold", "[timeline]") {
  Timeline timeline;
  timeline.title = "subject x";
  timeline.lanes = {std::string("a\x01z")};
  std::string svg = timeline_svg(timeline);
  CHECK(svg.find('\x01') == std::string::npos);
  CHECK(svg.find("a\xEF\xBF\xBDz") != std::string::npos);
}

TEST_CASE("timeline SVG writes the time that passed between records on its axis", "[timeline]") {
  Timeline timeline;
  timeline.title = "game 1";
  timeline.lanes = {"player 0 · a"};
  timeline.records.push_back({command_record(1, 1'000, "join_game", "a"), {0}});
  timeline.records.push_back({command_record(2, 1'000, "leave_game", "a"), {0}});
  timeline.records.push_back({command_record(3, 76'000, "join_game", "a"), {0}});
  std::string svg = timeline_svg(timeline);
  CHECK(svg.find(">+1 min 15 s<") != std::string::npos);
  // Two records in the same millisecond get no axis label between them: only one label in all.
  CHECK(svg.find("class=\"axis\"") == svg.rfind("class=\"axis\""));
}
