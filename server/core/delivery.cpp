#include "server/core/delivery.h"

#include "server/transport/socketio_frame.h"

namespace cohort {

void deliver(Registry& registry, ClientContent& content, Metrics& metrics, const Committed& committed) {
  // Few sockets per commit (the players of a game at most): a vector beats a map here.
  std::vector<std::pair<std::shared_ptr<Outbound>, OutboundBatch>> batches;
  auto batch_for = [&batches](const std::shared_ptr<Outbound>& socket) -> OutboundBatch& {
    for (auto& [to, batch] : batches) {
      if (to == socket) return batch;
    }
    return batches.emplace_back(socket, OutboundBatch{}).second;
  };
  for (const Event& event : committed.events) {
    registry.follow(event);
    Rendered out = content.render(event);
    if (out.frames.empty()) continue;
    auto socket = out.conn != kNoConn ? registry.socket(out.conn) : registry.socket_of(event.subject);
    if (!socket) continue;  // not connected now; the state tells it again when it registers
    OutboundBatch& batch = batch_for(socket);
    for (ClientFrame& frame : out.frames) {
      if (frame.ack) {
        batch.frames.push_back({sio::ack_frame(*frame.ack, frame.args), std::nullopt});
      } else if (frame.event == "registered") {
        batch.frames.push_back({std::move(frame.args), registry.resume_token_hash(event.subject)});
      } else {
        batch.frames.push_back({sio::event_frame(frame.event, frame.args), std::nullopt});
      }
    }
    batch.close = batch.close || out.close;
  }
  std::shared_ptr<const void> clock;
  if (committed.match_read_at) clock = metrics.match_notify_clock(*committed.match_read_at);
  for (auto& [socket, batch] : batches) {
    batch.until_written = clock;
    socket->send_batch(std::move(batch));
  }
}

}  // namespace cohort
