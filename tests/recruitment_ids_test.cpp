// Recruitment ids (issue 21 item 1): `recruitment` in the config, register_subject's `params`
// on the wire, what the socket keeps of them, and register_subject / subject_registered in the
// log, whose records without params stay those of the version before.
#include <catch2/catch.hpp>

#include "engine/vocabulary/experiment_json.h"
#include "engine/vocabulary/record_codec.h"
#include "server/config.h"
#include "server/transport/recruitment_ids.h"
#include "server/transport/wire_message.h"

using namespace cohort;

namespace {

std::string recruitment_config(const std::string& recruitment) {
  return R"({"experiment_id":"paid","scenes":[{"scene_id":"g","type":"game","human_seats":2}],"recruitment":)" +
         recruitment + "}";
}

std::string recruitment_error(const std::string& recruitment) {
  try {
    parse_config(recruitment_config(recruitment));
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "accepted";
}

std::string registration_refusal(std::string_view json) {
  WireMessage message = decode_wire_event(json, 1 << 20);
  const auto* body = std::get_if<CommandBody>(&message.content);
  const auto* refused = body ? std::get_if<cmd::Malformed>(body) : nullptr;
  return refused ? refused->code + ": " + refused->message : "accepted";
}

using Params = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_CASE("recruitment: the default keeps the three Prolific ids, and a config without it records what it did") {
  Config plain = parse_config(R"({"experiment_id":"paid","scenes":[{"scene_id":"g","type":"game","human_seats":2}]})");
  CHECK(plain.experiment.recruitment.keep == std::vector<std::string>{"PROLIFIC_PID", "STUDY_ID", "SESSION_ID"});
  CHECK(experiment_json(plain.experiment).find("recruitment") == std::string::npos);

  Config config = parse_config(recruitment_config(R"({"keep":["workerId","assignmentId"],"subject_id_from":"workerId"})"));
  CHECK(config.experiment.recruitment.keep == std::vector<std::string>{"workerId", "assignmentId"});
  CHECK(config.experiment.recruitment.subject_id_from == "workerId");
  CHECK(parse_experiment(experiment_json(config.experiment)) == config.experiment);
}

TEST_CASE("recruitment: bad entries are refused with the key's path") {
  CHECK_THAT(recruitment_error(R"({"keep":["PROLIFIC PID"]})"), Catch::Contains("recruitment.keep") && Catch::Contains("not a key"));
  CHECK_THAT(recruitment_error(R"({"keep":["a","a"]})"), Catch::Contains("listed twice"));
  CHECK_THAT(recruitment_error(R"({"keep":"PROLIFIC_PID"})"), Catch::Contains("recruitment.keep"));
  CHECK_THAT(recruitment_error(R"({"subject_id_from":"workerId"})"),
             Catch::Contains("recruitment.subject_id_from") && Catch::Contains("one of recruitment.keep"));
  CHECK_THAT(recruitment_error(R"({"keep":["PROLIFIC_PID"],"subject_id_is":"STUDY_ID"})"),
             Catch::Contains("recruitment.subject_id_is") && Catch::Contains("one of recruitment.keep"));
  CHECK_THAT(recruitment_error(R"({"kep":["a"]})"), Catch::Contains("recruitment.kep"));
}

TEST_CASE("recruitment: params on the wire are an object of at most 32 short strings") {
  WireMessage message = decode_wire_event(R"(["register_subject",{"subject_id":"s","params":{"PROLIFIC_PID":"p1","x":"y","PROLIFIC_PID":"p2"}}])", 4096);
  CHECK(message.params == Params{{"PROLIFIC_PID", "p1"}, {"x", "y"}});  // a repeated key keeps its first
  CHECK(registration_refusal(R"(["register_subject",{"params":{"PROLIFIC_PID":"p1"}}])") == "accepted");
  CHECK(registration_refusal(R"(["register_subject",{"subject_id":"","params":{"a":"b"}}])") ==
        "bad_payload: subject_id must not be empty");
  CHECK(registration_refusal(R"(["register_subject",{}])") == "bad_payload: subject_id is required");
  CHECK_THAT(registration_refusal(R"(["register_subject",{"subject_id":"s","params":["a"]}])"),
             Catch::Contains("params must be an object of strings"));
  CHECK_THAT(registration_refusal(R"(["register_subject",{"subject_id":"s","params":{"a":{"b":"c"}}}])"),
             Catch::Contains("params.a must be a string"));
  CHECK_THAT(registration_refusal(R"(["register_subject",{"subject_id":"s","params":{"a":"\u0007"}}])"),
             Catch::Contains("control character"));
  // C1 characters too (U+009B is a terminal's CSI), in a param and in the subject id; other
  // characters beyond ASCII are ids like any.
  CHECK(registration_refusal(R"(["register_subject",{"subject_id":"s","params":{"a":"\u009b31m"}}])") ==
        "bad_payload: params.a has a control character");
  CHECK(registration_refusal(R"(["register_subject",{"subject_id":"s\u0085"}])") ==
        "bad_payload: subject_id has a control character");
  CHECK(registration_refusal(R"(["register_subject",{"subject_id":"Zoë\u00a0Ünal","params":{"a":"ß"}}])") == "accepted");
  std::string many = R"(["register_subject",{"subject_id":"s","params":{)";
  for (int i = 0; i < 33; ++i) many += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":\"v\"";
  CHECK_THAT(registration_refusal(many + "}}]"), Catch::Contains("more than 32 keys"));
  CHECK_THAT(registration_refusal(R"(["register_subject",{"subject_id":"s","params":{"a":")" + std::string(257, 'v') + R"("}}])"),
             Catch::Contains("params.a is too long"));
}

TEST_CASE("recruitment: the socket keeps the listed keys in the config's order, and nothing else") {
  Recruitment prolific;
  KeptRegistration kept = keep_recruitment_ids(
      prolific, "s-1", Params{{"email", "a@b.org"}, {"SESSION_ID", "z"}, {"PROLIFIC_PID", "p"}});
  CHECK(kept.error.empty());
  CHECK(kept.subject_id == "s-1");
  CHECK(kept.params == std::optional<std::string>(R"({"PROLIFIC_PID":"p","SESSION_ID":"z"})"));
  CHECK(keep_recruitment_ids(prolific, "s-2", Params{{"email", "a@b.org"}}).params == std::nullopt);
  CHECK(keep_recruitment_ids(prolific, "", Params{{"PROLIFIC_PID", "p"}}).error == "subject_id is required");

  Recruitment from{{"PROLIFIC_PID"}, "PROLIFIC_PID", ""};
  CHECK(keep_recruitment_ids(from, "", Params{{"PROLIFIC_PID", "p9"}}).subject_id == "p9");
  CHECK(keep_recruitment_ids(from, "given", Params{{"PROLIFIC_PID", "p9"}}).subject_id == "given");
  CHECK(keep_recruitment_ids(from, "", Params{{"PROLIFIC_PID", ""}}).error ==
        "subject_id is required, or params.PROLIFIC_PID");

  Recruitment is{{"PROLIFIC_PID", "STUDY_ID"}, "", "PROLIFIC_PID"};
  KeptRegistration mug = keep_recruitment_ids(is, "60d1", Params{{"PROLIFIC_PID", "someone-else"}, {"STUDY_ID", "st"}});
  CHECK(mug.params == std::optional<std::string>(R"({"PROLIFIC_PID":"60d1","STUDY_ID":"st"})"));
}

TEST_CASE("recruitment: registrations without params are recorded as before; with them, at the new version") {
  cmd::RegisterSubject plain{std::nullopt, "hash", std::nullopt};
  Record before = to_record(Command{1, "ann", 3, std::nullopt, plain});
  CHECK(before.version == 2);
  CHECK(before.payload.find("params") == std::string::npos);
  CHECK(to_record(Event{1, "ann", kNoGame, 0, ev::SubjectRegistered{"hash", std::nullopt}}, 1).version == 2);

  cmd::RegisterSubject with{std::nullopt, "hash", R"({"PROLIFIC_PID":"p"})"};
  Record now = to_record(Command{1, "ann", 3, std::nullopt, with});
  CHECK(now.version == 3);
  now.seq = 5;
  CHECK(std::get<cmd::RegisterSubject>(command_from_record(now).body) == with);
  Record event = to_record(Event{1, "ann", kNoGame, 0, ev::SubjectRegistered{"hash", R"({"PROLIFIC_PID":"p"})"}}, 5);
  CHECK(event.version == 3);
  event.seq = 6;
  CHECK(std::get<ev::SubjectRegistered>(event_from_record(view_of(event)).body).params ==
        std::optional<std::string>(R"({"PROLIFIC_PID":"p"})"));
  before.seq = 7;
  CHECK(std::get<cmd::RegisterSubject>(command_from_record(before).body) == plain);
}
