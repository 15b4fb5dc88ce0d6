#include <catch2/catch.hpp>

#include <utility>

#include "engine/vocabulary/record_codec.h"

using namespace cohort;

namespace {

// Sets every field of a body to a value unlike its default, including the characters the
// payload text must escape, so that a round trip exercises every field of every type.
struct FillFields {
  int counter = 0;
  void operator()(std::string_view, std::string& v) { v = "v " + std::to_string(++counter) + " %,=\n ü"; }
  void operator()(std::string_view, std::int64_t& v) { v = -1000003 * ++counter; }
  void operator()(std::string_view, bool& v) { v = true; }
  void operator()(std::string_view, std::vector<std::string>& v) { v = {"p,1", "p 2", std::to_string(++counter)}; }
  template <class T>
  void operator()(std::string_view key, std::optional<T>& v) {
    T inner{};
    (*this)(key, inner);
    v = inner;
  }
};

template <class Variant, class Check>
void for_each_alternative(Check check) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (check(std::variant_alternative_t<I, Variant>{}), ...);
  }(std::make_index_sequence<std::variant_size_v<Variant>>{});
}

}  // namespace

TEST_CASE("every command type round-trips through a record, filled and empty") {
  for_each_alternative<CommandBody>([](auto body) {
    using Body = decltype(body);
    INFO(Body::name);
    for (bool filled : {false, true}) {
      Command command{1700000000123, "subject 7", 42, std::nullopt, body};
      if (filled) {
        FillFields fill;
        Body::fields(std::get<Body>(command.body), fill);
        command.ack = 9;
      }
      Record record = to_record(command);
      CHECK(record.kind == RecordKind::command);
      CHECK(record.type == Body::name);
      record.seq = 5;
      CHECK(command_from_record(record) == command);
    }
  });
}

TEST_CASE("every event type round-trips through a record, filled and empty") {
  for_each_alternative<EventBody>([](auto body) {
    using Body = decltype(body);
    INFO(Body::name);
    for (bool filled : {false, true}) {
      Event event{1700000000456, "s-1", 17, 2, body};
      if (filled) {
        FillFields fill;
        Body::fields(std::get<Body>(event.body), fill);
      }
      if constexpr (std::is_same_v<Body, ev::ExperimentConfigured>) {
        // Decoding parses the experiment (tests/config_history_test.cpp): any text will not do.
        std::get<Body>(event.body).experiment = R"({"experiment_id":"x","scenes":[{"scene_id":"a","type":"static"}]})";
      }
      Record record = to_record(event, 3);
      CHECK(record.kind == RecordKind::event);
      CHECK(record.type == Body::name);
      CHECK(record.causation == 3);
      CHECK(record.game == 17);
      CHECK(record.scene == 2);
      CHECK(event_from_record(record) == event);
    }
  });
}

TEST_CASE("a command about a game carries its id in the game column") {
  Command command{1, "s", 1, std::nullopt, cmd::MidGameExclusion{12, "tab_hidden", 300}};
  CHECK(to_record(command).game == 12);
  Command other{1, "s", 1, std::nullopt, cmd::JoinGame{}};
  CHECK(to_record(other).game == kNoGame);
}

TEST_CASE("payload text is readable key=value") {
  Event event{1, "alice", 4, 1, ev::GameEnded{"partner_left", 120, std::nullopt, std::nullopt}};
  CHECK(to_record(event).payload == "reason=partner_left frame=120");
}

TEST_CASE("decoding a damaged record is a CodecError naming the seq and the reason") {
  Event event{1, "alice", 4, 1, ev::EpisodeCompleted{2, 5}};
  Record good = to_record(event, 1);
  good.seq = 77;

  auto reason_of = [](const Record& record) -> std::string {
    try {
      event_from_record(record);
    } catch (const CodecError& error) {
      CHECK(error.seq == 77);
      return error.reason;
    }
    return "no error";
  };

  Record unknown = good;
  unknown.type = "game_exploded";
  CHECK(reason_of(unknown) == "unknown type 'game_exploded'");

  Record newer = good;
  newer.version = 2;
  CHECK_THAT(reason_of(newer), Catch::Contains("newer than this build"));

  Record wrong_field = good;
  wrong_field.payload = "episode=two max_episodes=5";
  CHECK_THAT(reason_of(wrong_field), Catch::Contains("'episode' is not an integer"));

  Record missing = good;
  missing.payload = "episode=2";
  CHECK_THAT(reason_of(missing), Catch::Contains("missing field 'max_episodes'"));

  Record extra = good;
  extra.payload += " colour=red";
  CHECK_THAT(reason_of(extra), Catch::Contains("unexpected field 'colour'"));

  Record as_command = good;
  as_command.kind = RecordKind::command;
  CHECK_THROWS_AS(command_from_record(as_command), CodecError);
}
