#include "server/core/relays.h"

#include "engine/vocabulary/json_text.h"
#include "server/transport/socketio_frame.h"

namespace cohort {
namespace {

std::vector<int> others(int sender_seat, std::size_t seats) {
  std::vector<int> out;
  for (int seat = 0; seat < static_cast<int>(seats); ++seat) {
    if (seat != sender_seat) out.push_back(seat);
  }
  return out;
}

std::vector<int> target(std::int64_t player, std::size_t seats) {
  if (player < 0 || player >= static_cast<std::int64_t>(seats)) return {};
  return {static_cast<int>(player)};
}

}  // namespace

const char* relay_event_name(Relay::Kind kind) {
  switch (kind) {
    case Relay::Kind::webrtc_signal: return "webrtc_signal";
    case Relay::Kind::player_action: return "pyodide_player_action";
    case Relay::Kind::state_sync: return "p2p_state_sync";
    case Relay::Kind::state_request: return "p2p_state_request";
    case Relay::Kind::state_response: return "p2p_state_response";
    case Relay::Kind::validation_status: return "p2p_validation_status";
  }
  return "";
}

RelayOut relay_out(const Relay& relay, int sender_seat, std::size_t seats) {
  RelayOut out;
  switch (relay.kind) {
    case Relay::Kind::webrtc_signal: {
      JsonObject args;
      args.str("type", relay.type).num("from_player_id", sender_seat).num("game_id", relay.game).raw("payload", relay.data_json);
      out.frame = sio::event_frame("webrtc_signal", args.text());
      out.seats = target(relay.target_player, seats);
      break;
    }
    case Relay::Kind::player_action: {
      JsonObject args;
      args.num("player_id", sender_seat).raw("action", relay.data_json).num("frame_number", relay.frame_number);
      out.frame = sio::event_frame("pyodide_other_player_action", args.text());
      out.seats = others(sender_seat, seats);
      break;
    }
    // As mug's server: the payload goes on unchanged; the clients read their own ids in it.
    case Relay::Kind::state_sync:
      out.frame = sio::event_frame("p2p_state_sync", relay.data_json);
      out.seats = others(sender_seat, seats);
      break;
    case Relay::Kind::state_request:
    case Relay::Kind::state_response:
      out.frame = sio::event_frame(relay_event_name(relay.kind), relay.data_json);
      out.seats = target(relay.target_player, seats);
      break;
    case Relay::Kind::validation_status: {
      JsonObject args;
      args.raw("status", relay.data_json);
      out.frame = sio::event_frame("p2p_validation_status", args.text());
      for (int seat = 0; seat < static_cast<int>(seats); ++seat) out.seats.push_back(seat);  // mug's room: the sender too
      break;
    }
  }
  return out;
}

}  // namespace cohort
