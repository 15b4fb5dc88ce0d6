#include "replay-tool/audit_report.h"

#include <deque>

#include "history/rebuild.h"
#include "history/trace.h"

namespace cohort {

AuditReport audit_log(LogReader& reader, std::shared_ptr<const Experiment> experiment, std::size_t earlier_records) {
  Projector projector(std::move(experiment));
  rebuild(reader, projector);
  AuditReport report;
  const auto& violations = projector.audit.violations();
  report.violations = violations.size();
  for (const Violation& v : violations) {
    report.text += "violation at record " + std::to_string(v.seq) + ": invariant " + std::to_string(v.invariant) +
                   ": " + v.detail + "\n";
    auto at = reader.read(v.seq, 1);
    if (at.empty()) continue;
    Seq command_seq = at[0].kind == RecordKind::command ? at[0].seq : at[0].causation;
    report.text += "  the command and what it caused:\n";
    reader.scan(command_seq, [&](const RecordView& record, std::uint64_t) {
      if (record.seq != command_seq && record.kind == RecordKind::command) return false;
      report.text += "    " + trace_line(record) + (record.seq == v.seq ? "   <-- here" : "") + "\n";
      return true;
    });
    TraceTarget target{at[0].subject, at[0].subject.empty() ? at[0].game : kNoGame};
    if (target.subject.empty() && target.game == kNoGame) continue;
    std::deque<std::string> earlier;
    trace(reader, target, [&](const RecordView& record) {
      if (record.seq >= command_seq) return;
      earlier.push_back(trace_line(record));
      if (earlier.size() > earlier_records) earlier.pop_front();
    });
    report.text += "  earlier records about " + (target.subject.empty() ? "game " + std::to_string(target.game)
                                                                        : "subject " + target.subject) + ":\n";
    for (const auto& line : earlier) report.text += "    " + line + "\n";
  }
  return report;
}

}  // namespace cohort
