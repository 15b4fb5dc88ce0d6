#include <catch2/catch.hpp>

#include "server/socketio_frame.h"

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

TEST_CASE("frames that cannot be read are invalid with a reason, binary is recognised") {
  CHECK(parse_frame("4").error == "message without a Socket.IO packet");
  CHECK(parse_frame("49").error == "unknown Socket.IO packet type");
  CHECK(parse_frame("42").error == "event without a JSON array");
  CHECK(parse_frame("42{}").error == "event without a JSON array");
  CHECK(parse_frame("4299999999999999999999[]").error == "ack id out of range");
  CHECK(parse_frame(R"(451-["x",{"_placeholder":true,"num":0}])").kind == FrameKind::binary);
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
