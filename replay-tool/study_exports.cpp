#include "replay-tool/study_exports.h"

#include "engine/vocabulary/record_codec.h"
#include "projections/metrics_export.h"
#include "projections/subjects_export.h"
#include "store/checked_scan.h"

namespace cohort {

std::string subjects_export(OpenedLog& log, ExportFormat format) {
  SubjectSummaries subjects(*log.experiment);
  checked_scan(*log.reader, 1, [&](const RecordView& record) {
    if (record.kind == RecordKind::command) {
      subjects.begin_command(record.subject);
    } else if (record.type != ev::Notification::name) {  // the outbox changes no projection
      subjects.apply(event_from_record(record));
    }
    return true;
  });
  return subjects_export(subjects, format);
}

std::string metrics_export(OpenedLog& log, ExportFormat format) {
  MetricsMessages metrics(*log.experiment);
  checked_scan(*log.reader, 1, [&](const RecordView& record) {
    if (record.kind == RecordKind::event &&
        (record.type == ev::MetricsStored::name || record.type == ev::ExperimentConfigured::name)) {
      metrics.apply(record.seq, event_from_record(record));
    }
    return true;
  });
  return metrics.text(format);
}

}  // namespace cohort
