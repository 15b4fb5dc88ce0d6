#include "server/core/delivery.h"

#include "server/transport/socketio_frame.h"

namespace cohort {

void deliver(Registry& registry, ClientContent& content, const std::vector<Event>& events) {
  for (const Event& event : events) {
    registry.follow(event);
    Rendered out = content.render(event);
    if (out.frames.empty()) continue;
    auto socket = out.conn != kNoConn ? registry.socket(out.conn) : registry.socket_of(event.subject);
    if (!socket) continue;  // not connected now; the state tells it again when it registers
    for (ClientFrame& frame : out.frames) {
      if (frame.ack) {
        socket->send(sio::ack_frame(*frame.ack, frame.args));
      } else if (frame.event == "registered") {
        socket->send_registered(std::move(frame.args), registry.resume_token_hash(event.subject));
      } else {
        socket->send(sio::event_frame(frame.event, frame.args));
      }
    }
    if (out.close) socket->close_after_send();
  }
}

}  // namespace cohort
