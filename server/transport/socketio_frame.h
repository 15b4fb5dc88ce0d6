#pragma once
// Engine.IO v4 / Socket.IO v5 text frames over WebSocket, server side. Parsing never throws:
// any frame that breaks the framing comes back as `invalid` with the reason, and the specs
// require the connection to close: an unknown packet type, an event or ack whose payload is
// not a non-empty JSON array, an ack id that is not a number, a binary header without its
// attachment count. Whether the array's content is JSON the server can use is decided later.
//
//   Engine.IO: 0 open, 1 close, 2 ping, 3 pong, 4 message, 5 upgrade, 6 noop
//   Socket.IO (inside 4): 0 connect, 1 disconnect, 2 event, 3 ack, 4 connect_error,
//   5 binary event, 6 binary ack; then an optional "/nsp,", an optional ack id, then JSON.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cohort::sio {

// binary: a binary event header (5); binary_ack: a binary ack header (6). Both announce
// `attachments` binary frames that follow (binary_event.h puts them together).
enum class FrameKind { ping, pong, close, noop, upgrade, connect, disconnect, event, ack, binary, binary_ack, invalid };

struct InboundFrame {
  FrameKind kind = FrameKind::invalid;
  std::size_t attachments = 0;  // binary, binary_ack: how many binary frames follow the header
  std::string_view nsp = "/";
  std::optional<std::int64_t> ack_id;
  std::string_view payload;  // the JSON after the header ("" when none)
  std::string_view error;    // why, when invalid
};

InboundFrame parse_frame(std::string_view text);

// The Engine.IO open packet.
std::string open_packet(std::string_view sid, int ping_interval_ms, int ping_timeout_ms, std::int64_t max_payload);
// The reply to a namespace connect.
std::string connect_reply(std::string_view nsp, std::string_view sid);
std::string connect_error(std::string_view nsp, std::string_view message);
// `42["name",args]`; `args_json` must be valid JSON.
std::string event_frame(std::string_view name, std::string_view args_json);
// `43<id>[args]`
std::string ack_frame(std::int64_t id, std::string_view args_json);
inline constexpr std::string_view kPing = "2";

}  // namespace cohort::sio
