#include "server/core/delivery.h"

#include "server/transport/socketio_frame.h"

namespace cohort {

void deliver(Registry& registry, const std::vector<Event>& events) {
  for (const Event& event : events) {
    registry.follow(event);
    const auto* note = std::get_if<ev::Notification>(&event.body);
    if (!note) continue;
    auto socket = note->conn != kNoConn ? registry.socket(note->conn) : registry.socket_of(event.subject);
    if (!socket) continue;  // not connected now; the state tells it again when it registers
    if (!note->ack && note->event == "registered") {
      socket->send_registered(note->args, registry.resume_token_hash(event.subject));
    } else {
      socket->send(note->ack ? sio::ack_frame(*note->ack, note->args) : sio::event_frame(note->event, note->args));
    }
    if (note->close) socket->close_after_send();
  }
}

}  // namespace cohort
