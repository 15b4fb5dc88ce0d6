// `completion` in the config, and subject_done in the log: what is accepted, what is refused
// (with the key's path), and that a log written before completion codes still reads.
#include <catch2/catch.hpp>

#include "engine/vocabulary/experiment_json.h"
#include "engine/vocabulary/record_codec.h"
#include "server/config.h"
#include "server/core/client_content.h"

using namespace cohort;

namespace {

std::string config_with_completion(const std::string& completion) {
  return R"({"experiment_id":"paid","scenes":[{"scene_id":"g","type":"game","human_seats":2},)"
         R"({"scene_id":"end","type":"static"}],"completion":)" + completion + "}";
}

std::string completion_error(const std::string& completion) {
  try {
    parse_config(config_with_completion(completion));
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("completion: every ending is read, and the canonical JSON keeps it") {
  Config config = parse_config(config_with_completion(R"({
    "finished": {"code": "C0FFEE", "redirect_url": "https://app.prolific.com/submissions/complete?cc=C0FFEE"},
    "waitroom_timeout": {"code": "NOPARTNER", "finishes": true},
    "partner_left": {"redirect_url": "http://example.org/left", "finishes": false},
    "excluded": {"code": "EXCL", "finishes": true},
    "validation_failed": {"finishes": true},
    "admin": {"code": "ADM", "finishes": true},
    "scene_field": "completion_code"})"));
  const Completion& completion = config.experiment.completion;
  CHECK(completion.endings.size() == 6);
  CHECK(completion.ending("finished")->code == "C0FFEE");
  CHECK_FALSE(completion.ending("finished")->finishes);
  CHECK(completion.ending("waitroom_timeout")->finishes);
  CHECK(completion.ending("partner_left")->code.empty());
  CHECK(completion.ending("partner_left")->redirect_url == "http://example.org/left");
  CHECK(completion.ending("admin")->code == "ADM");
  CHECK(completion.scene_field == "completion_code");
  std::string canonical = experiment_json(config.experiment);
  CHECK(parse_experiment(canonical) == config.experiment);
  CHECK(canonical.find(R"("completion":{"finished":{"code":"C0FFEE")") != std::string::npos);
}

TEST_CASE("completion: a config without it records the experiment it recorded before it existed") {
  Config config = parse_config(R"({"experiment_id":"x","scenes":[{"scene_id":"a","type":"static"}]})");
  CHECK(experiment_json(config.experiment) == R"({"experiment_id":"x","scenes":[{"scene_id":"a","type":"static"}]})");
  Config empty = parse_config(R"({"experiment_id":"x","scenes":[{"scene_id":"a","type":"static"}],"completion":{}})");
  CHECK(empty.experiment == config.experiment);
}

TEST_CASE("completion: bad entries are refused with the key's path") {
  CHECK(completion_error(R"([])") == "config: completion: must be an object");
  CHECK(completion_error(R"({"timeout": {"code": "X"}})") == "config: completion.timeout: unknown key");
  CHECK(completion_error(R"({"finished": "X"})") == "config: completion.finished: must be an object");
  CHECK(completion_error(R"({"finished": {"code": 7}})") == "config: completion.finished.code: must be a string");
  CHECK(completion_error(R"({"finished": {"codes": "X"}})") == "config: completion.finished.codes: unknown key; did you mean code?");
  CHECK(completion_error(R"({"excluded": {"finishes": "yes"}})") ==
        "config: completion.excluded.finishes: must be true or false");
  CHECK(completion_error(R"({"finished": {"code": ")" + std::string(257, 'A') + R"("}})") ==
        "config: completion.finished.code: must be at most 256 bytes");
  CHECK(completion_error(R"({"finished": {"code": "A\nB"}})") ==
        "config: completion.finished.code: must not hold control characters");
  for (const char* url : {"javascript:alert(1)", "ftp://example.org/", "//example.org/x", "example.org", "data:text/html,x"}) {
    INFO(url);
    CHECK(completion_error(R"({"partner_left": {"redirect_url": ")" + std::string(url) + R"("}})") ==
          "config: completion.partner_left.redirect_url: must be an http:// or https:// URL");
  }
  CHECK(completion_error(R"({"partner_left": {"redirect_url": "https://"}})") ==
        "config: completion.partner_left.redirect_url: must name a host after the scheme");
  CHECK(completion_error(R"({"partner_left": {"redirect_url": "https:///path"}})") ==
        "config: completion.partner_left.redirect_url: must name a host after the scheme");
  CHECK(completion_error(R"({"partner_left": {"redirect_url": "https://a.org/x y"}})") ==
        "config: completion.partner_left.redirect_url: must not hold spaces, quotes, angle brackets, backslashes or "
        "control characters");
  CHECK(completion_error(R"({"partner_left": {"redirect_url": "https://a.org/)" + std::string(2040, 'x') + R"("}})") ==
        "config: completion.partner_left.redirect_url: must be at most 2048 bytes");
  CHECK(completion_error(R"({"scene_field": 3})") == "config: completion.scene_field: must be a string");
  CHECK(completion_error(R"({"scene_field": "scene_id"})") ==
        "config: completion.scene_field: must not be scene_id, scene_index or type (Cohort's own keys)");
  CHECK(completion_error(R"({"scene_field": ")" + std::string(129, 'k') + R"("})") ==
        "config: completion.scene_field: must be at most 128 bytes, without control characters");
  CHECK(completion_error(R"({"finished": {"code": "OK", "redirect_url": "HTTPS://a.org/"}})") ==
        "config: completion.finished.redirect_url: must be an http:// or https:// URL");
  CHECK(completion_error(R"({"finished": {"code": "OK", "redirect_url": "https://a.org/?cc=OK"}})") == "accepted");
}

TEST_CASE("completion: a subject_done of a log before completion codes (version 1, no fields) still reads") {
  Record old;
  old.seq = 12;
  old.at = 1'700'000'000'000;
  old.kind = RecordKind::event;
  old.type = "subject_done";
  old.version = 1;
  old.subject = "ann";
  old.payload = "";
  Event event = event_from_record(view_of(old));
  REQUIRE(std::holds_alternative<ev::SubjectDone>(event.body));
  CHECK(std::get<ev::SubjectDone>(event.body) == ev::SubjectDone{});
  // Without fields it is still recorded as version 1: an older log re-decides to the same record.
  CHECK(to_record(Event{1, "ann", kNoGame, kNoScene, ev::SubjectDone{}}, 11).version == 1);

  ev::SubjectDone done;
  done.ending = "waitroom_timeout";
  done.completion_code = "NO PARTNER";
  Record now = to_record(Event{1, "ann", kNoGame, kNoScene, done}, 11);
  CHECK(now.version == 2);
  CHECK(now.payload == "ending=waitroom_timeout completion_code=NO%20PARTNER");
  now.seq = 13;
  CHECK(std::get<ev::SubjectDone>(event_from_record(view_of(now)).body) == done);
  Record newer = now;
  newer.version = 3;
  CHECK_THROWS_WITH(event_from_record(view_of(newer)), Catch::Contains("newer than this build"));
}

TEST_CASE("completion: delivery fills the end scene's content with the code under completion.scene_field") {
  Experiment experiment = parse_experiment(
      R"({"experiment_id":"paid","scenes":[{"scene_id":"g","type":"game","human_seats":2},)"
      R"({"scene_id":"end","type":"static","client":{"scene_type":"CompletionCodeScene","code_here":"?"}}],)"
      R"("completion":{"waitroom_timeout":{"code":"NOPARTNER","finishes":true},"scene_field":"code_here"}})");
  SessionMap state(std::make_shared<const Experiment>(experiment));
  ClientContent content;
  content.seed(state);
  // What the engine logged: the code in activate_scene's args; the frame is rebuilt from it.
  CHECK(content.args("activate_scene", R"({"scene_id":"end","scene_index":1,"type":"static","completion_code":"NOPARTNER"})") ==
        R"({"scene_id":"end","scene_index":1,"type":"static","completion_code":"NOPARTNER","code_here":"NOPARTNER",)"
        R"("scene_type":"CompletionCodeScene"})");
  // Without a code (a scene reached before the study was finished), the content as configured.
  CHECK(content.args("activate_scene", R"({"scene_id":"end","scene_index":1,"type":"static"})") ==
        R"({"scene_id":"end","scene_index":1,"type":"static","scene_type":"CompletionCodeScene","code_here":"?"})");
}
