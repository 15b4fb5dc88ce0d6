#include "history/trace.h"

#include <set>

#include "engine/vocabulary/json_text.h"
#include "engine/vocabulary/payload_json.h"
#include "engine/vocabulary/record_codec.h"
#include "history/log_experiment.h"
#include "store/checked_scan.h"

namespace cohort {

void trace(LogReader& reader, const TraceTarget& target, const std::function<void(const RecordView&)>& visit) {
  std::set<GameId> games;  // the games the traced subject sat in
  if (target.game != kNoGame) games.insert(target.game);
  Seq admin_command = 0;  // the researcher's command being read, 0 when another is
  checked_scan(reader, 1, [&](const RecordView& record) {
    if (target.admin) {
      if (record.kind == RecordKind::command) admin_command = record.type.starts_with("admin_") ? record.seq : 0;
      if (admin_command && (record.seq == admin_command || record.causation == admin_command)) visit(record);
      return true;
    }
    bool about_subject = !target.subject.empty() && record.subject == target.subject;
    if (!target.subject.empty() && record.type == "game_created" && record.kind == RecordKind::event) {
      Event created = event_from_record(record);  // kept alive: the loop reads its players
      for (const std::string& player : std::get<ev::GameCreated>(created.body).players) {
        if (player == target.subject) games.insert(record.game);
      }
    }
    bool about_game = record.game != kNoGame && games.count(record.game) && record.subject.empty();
    bool game_traced = target.game != kNoGame && record.game == target.game;
    if (about_subject || about_game || game_traced) visit(record);
    return true;
  });
}

std::string trace_line(const RecordView& r) {
  std::string line = std::to_string(r.seq) + "  " + format_utc_time(r.at) + "  " + kind_name(r.kind) + "  " +
                     std::string(r.type);
  if (!r.subject.empty()) line += "  subject=" + std::string(r.subject);
  if (r.game != kNoGame) line += "  game=" + std::to_string(r.game);
  if (!r.payload.empty()) line += "  " + std::string(r.payload);
  return line;
}

std::string trace_json(const RecordView& r) {
  JsonObject line;
  line.num("seq", r.seq).num("at", r.at).str("time", format_utc_time(r.at)).str("kind", kind_name(r.kind));
  line.str("type", r.type);
  if (!r.subject.empty()) line.str("subject", r.subject);
  if (r.game != kNoGame) line.num("game", r.game);
  if (r.causation) line.num("causation", r.causation);
  line.raw("payload", payload_json(r));
  return line.text();
}

}  // namespace cohort
