#include "server/transport/socketio_frame.h"

#include <charconv>

namespace cohort::sio {
namespace {

InboundFrame invalid(std::string_view why) {
  InboundFrame frame;
  frame.error = why;
  return frame;
}

std::string json_string(std::string_view raw) {
  std::string out = "\"";
  for (char ch : raw) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
  return out;
}

// A first look only: `[` then something other than `]`. The JSON parser checks the rest.
bool is_non_empty_array(std::string_view text) {
  if (text.empty() || text.front() != '[') return false;
  auto next = text.find_first_not_of(" \t\r\n", 1);
  return next != std::string_view::npos && text[next] != ']';
}

std::string nsp_prefix(std::string_view nsp) { return nsp == "/" ? std::string() : std::string(nsp) + ","; }

}  // namespace

InboundFrame parse_frame(std::string_view text) {
  if (text.empty()) return invalid("empty frame");
  switch (text[0]) {
    case '1': return InboundFrame{FrameKind::close};
    case '2': return InboundFrame{FrameKind::ping};
    case '3': return InboundFrame{FrameKind::pong};
    case '5': return InboundFrame{FrameKind::upgrade};
    case '6': return InboundFrame{FrameKind::noop};
    case '4': break;
    default: return invalid("unknown Engine.IO packet type");
  }
  std::string_view rest = text.substr(1);
  if (rest.empty()) return invalid("message without a Socket.IO packet");
  InboundFrame frame;
  switch (rest[0]) {
    case '0': frame.kind = FrameKind::connect; break;
    case '1': frame.kind = FrameKind::disconnect; break;
    case '2': frame.kind = FrameKind::event; break;
    case '3': frame.kind = FrameKind::ack; break;
    case '5': frame.kind = FrameKind::binary; break;
    case '6': frame.kind = FrameKind::binary_ack; break;
    default: return invalid("unknown Socket.IO packet type");
  }
  rest.remove_prefix(1);
  bool binary = frame.kind == FrameKind::binary || frame.kind == FrameKind::binary_ack;
  if (binary) {  // "45<attachments>-": the count, then as an event
    std::size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits == 0 || digits > 6 || digits >= rest.size() || rest[digits] != '-') {
      return invalid("binary packet without its attachment count");
    }
    std::from_chars(rest.data(), rest.data() + digits, frame.attachments);
    rest.remove_prefix(digits + 1);
  }
  if (!rest.empty() && rest[0] == '/') {
    auto comma = rest.find(',');
    if (comma == std::string_view::npos) {
      frame.nsp = rest;  // "40/admin" has no payload
      rest = {};
    } else {
      frame.nsp = rest.substr(0, comma);
      rest.remove_prefix(comma + 1);
    }
  }
  std::size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  if (digits > 0) {
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + digits, id);
    if (ec != std::errc{} || digits > 15) return invalid("ack id out of range");
    frame.ack_id = id;
    rest.remove_prefix(digits);
  }
  frame.payload = rest;
  bool carries_array = frame.kind == FrameKind::event || frame.kind == FrameKind::ack || binary;
  if (carries_array && !is_non_empty_array(rest)) return invalid("the payload is not a non-empty JSON array");
  return frame;
}

std::string open_packet(std::string_view sid, int ping_interval_ms, int ping_timeout_ms, std::int64_t max_payload) {
  return "0{\"sid\":" + json_string(sid) + ",\"upgrades\":[],\"pingInterval\":" + std::to_string(ping_interval_ms) +
         ",\"pingTimeout\":" + std::to_string(ping_timeout_ms) + ",\"maxPayload\":" + std::to_string(max_payload) + "}";
}

std::string connect_reply(std::string_view nsp, std::string_view sid) {
  return "40" + nsp_prefix(nsp) + "{\"sid\":" + json_string(sid) + "}";
}

std::string connect_error(std::string_view nsp, std::string_view message) {
  return "44" + nsp_prefix(nsp) + "{\"message\":" + json_string(message) + "}";
}

std::string event_frame(std::string_view name, std::string_view args_json) {
  std::string out = "42[" + json_string(name) + ",";
  out += args_json;
  out += "]";
  return out;
}

std::string ack_frame(std::int64_t id, std::string_view args_json) {
  std::string out = "43" + std::to_string(id) + "[";
  out += args_json;
  out += "]";
  return out;
}

}  // namespace cohort::sio
