#include "history/timeline_svg.h"

#include <cmath>
#include <cstdio>

#include "engine/vocabulary/record_codec.h"
#include "history/log_experiment.h"

namespace cohort {
namespace {

constexpr int kLeft = 180;        // lane names
constexpr int kTop = 56;          // the two header lines
constexpr int kLaneHeight = 170;  // room for the slanted labels above each lane's line
constexpr int kLineOffset = 150;  // from a lane's top to its line
constexpr int kColumn = 22;       // per record
constexpr int kAxisHeight = 80;

struct Mark {
  const char* kind;  // the CSS class: join, match, start, pause, resume, exclusion, end, notification, ...
  std::string label;
};

Mark mark_of(const Record& record) {
  if (record.kind == RecordKind::command) return {"command", record.type};
  Event event = event_from_record(record);
  const std::string& type = record.type;
  if (const auto* note = std::get_if<ev::Notification>(&event.body)) {
    return {"notification", note->event.empty() ? "ack" : "→ " + note->event};
  }
  if (const auto* ended = std::get_if<ev::GameEnded>(&event.body)) return {"end", "end: " + ended->reason};
  if (const auto* paused = std::get_if<ev::GamePaused>(&event.body)) return {"pause", "pause: " + paused->cause};
  if (const auto* excluded = std::get_if<ev::PlayerExcluded>(&event.body)) return {"exclusion", "excluded: " + excluded->reason};
  if (const auto* left = std::get_if<ev::WaitroomLeft>(&event.body)) return {"other", "left waitroom: " + left->reason};
  if (const auto* episode = std::get_if<ev::EpisodeCompleted>(&event.body)) {
    return {"other", "episode " + std::to_string(episode->episode)};
  }
  if (type == "waitroom_joined") return {"join", "join"};
  if (type == "game_created") return {"match", "match"};
  if (type == "game_started") return {"start", "start"};
  if (type == "game_resumed") return {"resume", "resume"};
  if (type == "validation_started") return {"other", "validating"};
  if (type == "validation_reported") return {"other", "validated"};
  if (type == "reconnection_reported") return {"resume", "reconnected (p2p)"};
  if (type == "waitroom_timed_out") return {"end", "waitroom timeout"};
  if (type == "subject_connected") return {"connection", "connected"};
  if (type == "subject_disconnected") return {"connection", "disconnected"};
  if (type == "subject_registered") return {"other", "registered"};
  if (type == "subject_advanced") return {"other", "next scene"};
  if (type == "subject_done") return {"other", "done"};
  if (type == "metrics_stored") return {"other", "metrics"};
  return {"other", type};
}

std::string escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters are not allowed in XML 1.0 text; a subject id could carry one.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') out += "\xEF\xBF\xBD";
        else out += c;
    }
  }
  return out;
}

std::string elapsed(Millis ms) {
  char buffer[48];
  if (ms < 60'000) {
    std::snprintf(buffer, sizeof buffer, "%.1f s", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3'600'000) {
    std::snprintf(buffer, sizeof buffer, "%lld min %lld s", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms % 60'000 / 1000));
  } else {
    std::snprintf(buffer, sizeof buffer, "%lld h %lld min", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms % 3'600'000 / 60'000));
  }
  return buffer;
}

// Extra room before a column when time passed since the previous one.
int gap_for(Millis ms) {
  if (ms <= 0) return 0;
  return 12 + static_cast<int>(std::lround(12.0 * std::log10(1.0 + static_cast<double>(ms) / 10.0)));
}

std::string shape(const char* kind, int x, int y) {
  std::string k = kind;
  char buffer[200];
  if (k == "end") {
    std::snprintf(buffer, sizeof buffer, "<rect x=\"%d\" y=\"%d\" width=\"11\" height=\"11\"/>", x - 5, y - 5);
  } else if (k == "exclusion") {
    std::snprintf(buffer, sizeof buffer, "<path d=\"M%d %dl10 10m0 -10l-10 10\"/>", x - 5, y - 5);
  } else if (k == "match") {
    std::snprintf(buffer, sizeof buffer, "<path d=\"M%d %dl6 6l-6 6l-6 -6z\"/>", x, y - 6);
  } else if (k == "start" || k == "resume") {
    std::snprintf(buffer, sizeof buffer, "<path d=\"M%d %dl10 6l-10 6z\"/>", x - 4, y - 6);
  } else if (k == "pause") {
    std::snprintf(buffer, sizeof buffer, "<path d=\"M%d %dv12m5 -12v12\"/>", x - 2, y - 6);
  } else {
    int radius = k == "notification" ? 3 : 5;
    std::snprintf(buffer, sizeof buffer, "<circle cx=\"%d\" cy=\"%d\" r=\"%d\"/>", x, y, radius);
  }
  return buffer;
}

constexpr const char* kStyle =
    "text{font-family:sans-serif;font-size:11px;fill:#1a202c}"
    ".title{font-size:15px;font-weight:bold}.sub{fill:#4a5568}.lane-name{font-size:12px;font-weight:bold}"
    ".lane-line{stroke:#cbd5e0;stroke-width:2}.gap{stroke:#e2e8f0;stroke-dasharray:3 3}.axis{fill:#4a5568}"
    ".mark *{stroke-width:2}.join *{fill:#2b6cb0}.match *{fill:#6b46c1}.start *,.resume *{fill:#2f855a}"
    ".pause *{stroke:#dd6b20;fill:none;stroke-width:3}.exclusion *{stroke:#c53030;stroke-width:3}"
    ".end *{fill:#1a202c}.notification *{fill:#a0aec0}.command *{fill:#fff;stroke:#718096}"
    ".connection *{fill:#805ad5}.other *{fill:#4a5568}"
    ".label.command,.label.notification{fill:#718096}.label.end,.label.exclusion{font-weight:bold}"
    ".label.exclusion{fill:#c53030}";

}  // namespace

std::string timeline_svg(const Timeline& timeline) {
  // Columns first: the width depends on them.
  std::vector<int> xs;
  std::vector<Millis> gaps;  // time before each column
  int x = kLeft + 24;
  for (std::size_t i = 0; i < timeline.records.size(); ++i) {
    Millis since = i == 0 ? 0 : timeline.records[i].record.at - timeline.records[i - 1].record.at;
    x += gap_for(since);
    xs.push_back(x);
    gaps.push_back(since);
    x += kColumn;
  }
  int width = x + 120;  // the last labels slant to the right
  int lanes_bottom = kTop + static_cast<int>(timeline.lanes.size()) * kLaneHeight;
  int height = lanes_bottom + kAxisHeight;

  std::string svg;
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"cohort-timeline\" width=\"" + std::to_string(width) +
         "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
         std::to_string(height) + "\">\n";
  svg += std::string("<style>") + kStyle + "</style>\n";
  std::string heading = timeline.title;
  if (!timeline.end_reason.empty()) heading += " · ended: " + timeline.end_reason;
  svg += "<title>" + escaped(heading) + "</title>\n";
  svg += "<text class=\"title\" x=\"12\" y=\"22\">" + escaped(heading) + "</text>\n";
  if (!timeline.records.empty()) {
    Millis first = timeline.records.front().record.at, last = timeline.records.back().record.at;
    svg += "<text class=\"sub\" x=\"12\" y=\"42\">" + format_utc_time(first) + " to " + format_utc_time(last) + " (" +
           elapsed(last - first) + "), records " + std::to_string(timeline.records.front().record.seq) + " to " +
           std::to_string(timeline.records.back().record.seq) + "</text>\n";
  }

  // Lanes and the dashed lines where time passed.
  for (std::size_t lane = 0; lane < timeline.lanes.size(); ++lane) {
    int y = kTop + static_cast<int>(lane) * kLaneHeight + kLineOffset;
    svg += "<text class=\"lane-name\" x=\"12\" y=\"" + std::to_string(y + 4) + "\">" + escaped(timeline.lanes[lane]) + "</text>\n";
    svg += "<line class=\"lane-line\" x1=\"" + std::to_string(kLeft) + "\" y1=\"" + std::to_string(y) + "\" x2=\"" +
           std::to_string(width - 100) + "\" y2=\"" + std::to_string(y) + "\"/>\n";
  }
  Millis start = timeline.records.empty() ? 0 : timeline.records.front().record.at;
  for (std::size_t i = 1; i < timeline.records.size(); ++i) {
    if (gaps[i] < 1000) continue;
    int gx = xs[i] - gap_for(gaps[i]) / 2 - kColumn / 2;
    svg += "<line class=\"gap\" x1=\"" + std::to_string(gx) + "\" y1=\"" + std::to_string(kTop) + "\" x2=\"" +
           std::to_string(gx) + "\" y2=\"" + std::to_string(lanes_bottom + 4) + "\"/>\n";
    svg += "<text class=\"axis\" x=\"" + std::to_string(gx) + "\" y=\"" + std::to_string(lanes_bottom + 14) +
           "\" transform=\"rotate(40 " + std::to_string(gx) + " " + std::to_string(lanes_bottom + 14) + ")\">+" +
           elapsed(timeline.records[i].record.at - start) + "</text>\n";
  }

  for (std::size_t i = 0; i < timeline.records.size(); ++i) {
    const Record& record = timeline.records[i].record;
    Mark mark = mark_of(record);
    std::string hover = "#" + std::to_string(record.seq) + " " + format_utc_time(record.at) + " " +
                        kind_name(record.kind) + " " + record.type;
    if (!record.subject.empty()) hover += " subject=" + record.subject;
    if (!record.payload.empty()) hover += " " + record.payload;
    for (int lane : timeline.records[i].lanes) {
      int y = kTop + lane * kLaneHeight + kLineOffset;
      std::string at = std::to_string(xs[i]) + " " + std::to_string(y - 10);
      svg += "<g class=\"mark " + std::string(mark.kind) + "\" data-seq=\"" + std::to_string(record.seq) + "\"><title>" +
             escaped(hover) + "</title>" + shape(mark.kind, xs[i], y) + "</g>";
      svg += "<text class=\"label " + std::string(mark.kind) + "\" x=\"" + std::to_string(xs[i]) + "\" y=\"" +
             std::to_string(y - 10) + "\" transform=\"rotate(-60 " + at + ")\">" + escaped(mark.label) + "</text>\n";
    }
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace cohort
