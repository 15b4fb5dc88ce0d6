#include <catch2/catch.hpp>

#include "server/transport/binary_event.h"
#include "server/transport/socketio_frame.h"

using namespace cohort::sio;

TEST_CASE("Engine.IO control packets") {
  CHECK(parse_frame("2").kind == FrameKind::ping);
  CHECK(parse_frame("3").kind == FrameKind::pong);
  CHECK(parse_frame("1").kind == FrameKind::close);
  CHECK(parse_frame("6").kind == FrameKind::noop);
  CHECK(parse_frame("").kind == FrameKind::invalid);
  CHECK(parse_frame("9").error == "unknown Engine.IO packet type");
}

TEST_CASE("Socket.IO connect, with and without auth, default and other namespaces") {
  auto plain = parse_frame("40");
  CHECK(plain.kind == FrameKind::connect);
  CHECK(plain.nsp == "/");
  auto auth = parse_frame(R"(40{"token":"x"})");
  CHECK(auth.payload == R"({"token":"x"})");
  auto admin = parse_frame("40/admin,");
  CHECK(admin.nsp == "/admin");
  CHECK(parse_frame("40/admin").nsp == "/admin");
  CHECK(parse_frame("41").kind == FrameKind::disconnect);
}

TEST_CASE("Socket.IO events and acks") {
  auto event = parse_frame(R"(42["join_game",{"rtt_ms":40}])");
  CHECK(event.kind == FrameKind::event);
  CHECK_FALSE(event.ack_id);
  CHECK(event.payload == R"(["join_game",{"rtt_ms":40}])");
  auto with_ack = parse_frame(R"(4217["emit_multiplayer_metrics",{}])");
  CHECK(with_ack.ack_id == 17);
  CHECK(with_ack.payload == R"(["emit_multiplayer_metrics",{}])");
  auto namespaced = parse_frame(R"(42/chat,3["x"])");
  CHECK(namespaced.nsp == "/chat");
  CHECK(namespaced.ack_id == 3);
  auto ack = parse_frame(R"(435[{"ok":true}])");
  CHECK(ack.kind == FrameKind::ack);
  CHECK(ack.ack_id == 5);
}

TEST_CASE("frames that break the framing are invalid with a reason, binary headers are read") {
  CHECK(parse_frame("").error == "empty frame");
  CHECK(parse_frame("7").error == "unknown Engine.IO packet type");
  CHECK(parse_frame("4").error == "message without a Socket.IO packet");
  CHECK(parse_frame("49").error == "unknown Socket.IO packet type");
  CHECK(parse_frame("4abc").error == "unknown Socket.IO packet type");
  for (const char* not_an_array : {"42", "42{}", "42[]", "42[ \n]", "42\"x\"", "43"}) {
    INFO(not_an_array);
    CHECK(parse_frame(not_an_array).error == "the payload is not a non-empty JSON array");
  }
  CHECK(parse_frame(R"(42abc["message-with-ack",1])").kind == FrameKind::invalid);  // an ack id that is not a number
  CHECK(parse_frame("4299999999999999999999[1]").error == "ack id out of range");
  auto binary = parse_frame(R"(452-7["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  CHECK(binary.kind == FrameKind::binary);
  CHECK(binary.attachments == 2);
  CHECK(binary.ack_id == 7);
  CHECK(parse_frame(R"(45["x"])").error == "binary packet without its attachment count");
  CHECK(parse_frame(R"(451["x"])").error == "binary packet without its attachment count");
  CHECK(parse_frame("451-").error == "the payload is not a non-empty JSON array");
}

TEST_CASE("outbound frames") {
  CHECK(open_packet("abc", 25000, 20000, 1048576) ==
        R"(0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1048576})");
  CHECK(connect_reply("/", "s1") == R"(40{"sid":"s1"})");
  CHECK(connect_reply("/admin", "s1") == R"(40/admin,{"sid":"s1"})");
  CHECK(connect_error("/x", "no such namespace") == R"(44/x,{"message":"no such namespace"})");
  CHECK(event_frame("pong", "{}") == R"(42["pong",{}])");
  CHECK(event_frame("say \"hi\"", "1") == R"(42["say \"hi\"",1])");
  CHECK(ack_frame(9, R"({"status":"ok"})") == R"(439[{"status":"ok"}])");
}

// Binary events: the header, then one binary frame per attachment (server/transport/binary_event.h).
namespace {

BinaryEvent assemble_binary(std::string_view header, std::vector<std::string> frames, BinaryLimits limits = {}) {
  InboundFrame frame = parse_frame(header);
  REQUIRE(frame.kind == FrameKind::binary);
  BinaryAssembly assembly(frame.payload, frame.ack_id, frame.attachments, limits);
  for (const std::string& bytes : frames) {
    REQUIRE(assembly.due() > 0);
    assembly.add(bytes);
  }
  REQUIRE(assembly.due() == 0);
  return assembly.finish();
}

}  // namespace

TEST_CASE("a binary event with an ack is put together from its header and its attachments") {
  std::string blob("\x00\x81\xff\x00payload", 11);
  auto event = assemble_binary(R"(451-9["emit_episode_data",{"data":{"_placeholder":true,"num":0},"episode_num":2}])", {blob});
  CHECK(event.error_code.empty());
  CHECK(event.ack_id == 9);
  REQUIRE(event.attachments.size() == 1);
  CHECK(event.attachments[0] == blob);
  CHECK(event.array_json == R"(["emit_episode_data",{"data":{"_placeholder":true,"num":0},"episode_num":2}])");
  // Placeholders in any order and depth: the attachments stay in num order.
  auto two = assemble_binary(R"(452-["x",[{"_placeholder":true,"num":1}],{"a":{"_placeholder":true,"num":0}}])", {"zero", "one"});
  CHECK(two.error_code.empty());
  CHECK(two.attachments == std::vector<std::string>{"zero", "one"});
}

TEST_CASE("binary events whose placeholders do not match their attachments are refused, bad_payload") {
  auto refused = [](std::string_view header, std::size_t frames) {
    auto event = assemble_binary(header, std::vector<std::string>(frames, "b"));
    INFO(header);
    CHECK(event.error_code == "bad_payload");
    CHECK(event.attachments.empty());
    return event.error_message;
  };
  CHECK(refused(R"(452-["x",{"_placeholder":true,"num":0}])", 2) == "2 attachments announced, 1 placeholders");
  CHECK(refused(R"(451-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}])", 1) == "placeholder num 0 twice");
  CHECK(refused(R"(451-["x",{"_placeholder":true,"num":1}])", 1) == "placeholder num 1 with 1 attachments");
  CHECK(refused(R"(452-["x",{"_placeholder":true,"num":1},{"_placeholder":true,"num":1}])", 2) == "placeholder num 1 twice");
  CHECK(refused(R"(451-["x",{"_placeholder":true,"num":99999999999999999999}])", 1) ==
        "a placeholder without a whole num of 0 or more");
  CHECK(refused(R"(451-["x",{"_placeholder":true,"num":-1}])", 1) == "a placeholder without a whole num of 0 or more");
  CHECK(refused(R"(451-["x",{"_placeholder":true,"num":0.5}])", 1) == "a placeholder without a whole num of 0 or more");
  CHECK(refused(R"(451-["x",{"_placeholder":true}])", 1) == "a placeholder without a whole num of 0 or more");
  CHECK(refused(R"(451-["x",{"num":0}])", 1) == "1 attachments announced, 0 placeholders");
  CHECK(refused(R"(451-["x",{"_placeholder":true,"num":4000000000}])", 1) == "placeholder num 4000000000 with 1 attachments");
  CHECK(refused(R"(4517-["x"])", 17) == "more than 16 binary attachments");
}

TEST_CASE("a binary event larger than the message limit in all is refused too_large, its frames still read") {
  BinaryLimits limits{100, 16};
  auto fits = assemble_binary(R"(451-["x",{"_placeholder":true,"num":0}])", {std::string(60, 'a')}, limits);
  CHECK(fits.error_code.empty());
  auto over = assemble_binary(R"(452-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
                              {std::string(30, 'a'), std::string(30, 'b')}, limits);
  CHECK(over.error_code == "too_large");
  CHECK(over.attachments.empty());
  auto header_alone = assemble_binary("451-[\"" + std::string(120, 'x') + "\",{\"_placeholder\":true,\"num\":0}]", {"b"}, limits);
  CHECK(header_alone.error_code == "too_large");
}

TEST_CASE("a binary event dropped or skipped is let go unanswered; a binary ack header is read") {
  InboundFrame header = parse_frame(R"(451-["x",{"_placeholder":true,"num":0}])");
  BinaryAssembly assembly(header.payload, header.ack_id, header.attachments, {});
  assembly.skip();
  CHECK(assembly.due() == 0);
  auto event = assembly.finish();
  CHECK(event.dropped);
  CHECK(event.attachments.empty());
  auto ack = parse_frame(R"(461-4[{"_placeholder":true,"num":0}])");
  CHECK(ack.kind == FrameKind::binary_ack);
  CHECK(ack.attachments == 1);
  CHECK(ack.ack_id == 4);
  CHECK(check_placeholders(R"(["x",{"_placeholder":false,"num":0}])", 0).empty());
  CHECK(check_placeholders("not json", 3).empty());  // left to the wire decoder, which closes the connection
}
