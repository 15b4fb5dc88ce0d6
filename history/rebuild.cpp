#include "history/rebuild.h"

#include "engine/vocabulary/record_codec.h"
#include "store/checked_scan.h"

namespace cohort {

void rebuild(LogReader& reader, Projector& projector, Seq from, Seq to) {
  bool in_command = false;
  checked_scan(reader, from, [&](const RecordView& record) {
    if (record.seq > to) return false;
    if (record.kind == RecordKind::command) {
      if (in_command) projector.end_command();
      projector.begin_command(record.seq, record.subject);
      in_command = true;
    } else if (record.type == ev::Notification::name) {
      projector.note_notification(record.seq, record.causation, record.subject);
    } else {
      projector.apply_event(record.seq, record.causation, event_from_record(record));
    }
    return true;
  });
  if (in_command) projector.end_command();
}

}  // namespace cohort
