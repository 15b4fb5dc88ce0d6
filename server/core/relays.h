#pragma once
// Messages passed between the players of one game without the log (DESIGN.md rule 7), and
// where each goes. The socket looks up the route (Registry::route, a projection of the log, so
// relays find their game's players after a restart as before it); what leaves, and to which
// seats, is decided here.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/vocabulary/ids.h"

namespace cohort {

struct Relay {
  enum class Kind {
    webrtc_signal,      // to target_player, as webrtc_signal {type, from_player_id, game_id, payload}
    player_action,      // to the others, as pyodide_other_player_action {player_id, action, frame_number}
    state_sync,         // to the others, the payload as sent (mug's p2p_state_sync)
    state_request,      // to target_player, the payload as sent (mug's p2p_state_request)
    state_response,     // to target_player, the payload as sent (mug's p2p_state_response)
    validation_status,  // to every player, the sender too, as p2p_validation_status {status}
  };
  Kind kind = Kind::player_action;
  GameId game = kNoGame;
  std::int64_t target_player = -1;  // webrtc_signal, state_request, state_response
  std::string type;                 // webrtc_signal only
  // webrtc_signal: payload; player_action: action; state_*: the whole payload; validation_status:
  // status. JSON text.
  std::string data_json;
  std::int64_t frame_number = 0;    // player_action only
};

// The wire name of the event a relay came in as (for an `error` about it).
const char* relay_event_name(Relay::Kind kind);

// What one relay sends: one frame, to these seats (never a seat out of range).
struct RelayOut {
  std::string frame;
  std::vector<int> seats;
};

// REQUIRES: 0 <= sender_seat < seats.
RelayOut relay_out(const Relay& relay, int sender_seat, std::size_t seats);

}  // namespace cohort
