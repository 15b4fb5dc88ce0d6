#include <catch2/catch.hpp>

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
