#include "tests/support/delivered.h"

#include "engine/vocabulary/record_codec.h"
#include "server/transport/socketio_frame.h"
#include "store/log_reader.h"

namespace cohort::testing {
namespace {

bool addressed_to(const LoggedNotification& logged, const FakeSocket& socket) {
  if (logged.note.conn != kNoConn) return logged.note.conn == socket.conn();
  return !socket.subject.empty() && logged.subject == socket.subject;
}

// `42["name",...]` or `43<id>[...]`, as server/transport/socketio_frame.h writes them.
bool renders(const ev::Notification& note, const std::string& frame) {
  if (note.ack) return frame.starts_with("43" + std::to_string(*note.ack) + "[");
  std::string head = sio::event_frame(note.event, "");  // `42["name",]`
  head.pop_back();
  return frame.starts_with(head);
}

std::string wire_name(const std::string& frame) {
  if (frame.starts_with("43")) return "ack";
  auto open = frame.find('"');
  auto close = open == std::string::npos ? open : frame.find('"', open + 1);
  return close == std::string::npos ? frame : frame.substr(open + 1, close - open - 1);
}

}  // namespace

std::vector<LoggedNotification> logged_notifications(const std::string& path) {
  std::vector<LoggedNotification> out;
  LogReader reader(path);
  reader.scan(1, [&](const RecordView& record, std::uint64_t) {
    if (record.kind != RecordKind::event || record.type != "notification") return true;
    Event event = event_from_record(record);
    out.push_back(LoggedNotification{record.seq, event.subject, std::get<ev::Notification>(event.body)});
    return true;
  });
  return out;
}

std::vector<Delivery> deliveries(const FakeSocket& socket, const std::vector<SentFrame>& sent,
                                 const std::vector<LoggedNotification>& log) {
  std::vector<Delivery> out;
  std::size_t next = 0;  // frames leave in log order: each is looked for after the previous match
  Seq last = 0;
  for (const SentFrame& frame : sent) {
    Delivery delivery{wire_name(frame.text), last, false, frame.committed};
    for (std::size_t i = next; i < log.size(); ++i) {
      if (!addressed_to(log[i], socket) || !renders(log[i].note, frame.text)) continue;
      delivery.seq = last = log[i].seq;
      delivery.matched = true;
      next = i + 1;
      break;
    }
    out.push_back(std::move(delivery));
  }
  return out;
}

}  // namespace cohort::testing
