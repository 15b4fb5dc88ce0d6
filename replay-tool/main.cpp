// cohort-replay: the offline tool over a Cohort log (PROTOCOL.md section 6). It opens logs
// read-only: it works on a copy or on the live file while the server runs (`backup` writes only
// its copy).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/vocabulary/experiment_json.h"
#include "engine/vocabulary/record_codec.h"
#include "history/log_experiment.h"
#include "history/rebuild.h"
#include "history/timeline.h"
#include "history/timeline_svg.h"
#include "history/trace.h"
#include "history/verify.h"
#include "projections/sessions_export.h"
#include "projections/state_json.h"
#include "replay-tool/audit_report.h"
#include "replay-tool/rerun.h"
#include "replay-tool/scan_progress.h"
#include "replay-tool/state_table.h"
#include "replay-tool/data_export.h"
#include "replay-tool/study_exports.h"
#include "store/log_backup.h"
#include "store/store_error.h"

using namespace cohort;

namespace {

// Exit codes beyond PROTOCOL.md's 0 and 1: 2 for a bad command line or a log that cannot be read.
constexpr int kCannotRun = 2;

// --out names a file that exists and --force was not given: refused before the log is read, so
// an export never replaces a file by mistake. False once the error is printed.
bool may_write(const std::string& out_path, bool force) {
  std::error_code error;
  if (out_path.empty() || force || !std::filesystem::exists(out_path, error)) return true;
  std::fprintf(stderr, "cohort-replay: %s exists; give --force to replace it\n", out_path.c_str());
  return false;
}

// Writes `text` to `out_path`, or to stdout when it is empty.
int write_output(const std::string& text, const std::string& out_path) {
  if (out_path.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  std::ofstream out(out_path, std::ios::binary);
  out << text;
  if (!out) {
    std::fprintf(stderr, "cohort-replay: cannot write %s\n", out_path.c_str());
    return kCannotRun;
  }
  return 0;
}

int run_verify(const std::string& log) {
  LogReader reader(log);
  ScanProgress progress(reader);
  VerifyReport report = verify_log(reader);
  progress.finish();
  if (report.first_fault) {
    std::printf("unsound: %s\n", report.first_fault->c_str());
    return 1;
  }
  std::printf("sound: %lld records\n", static_cast<long long>(report.records));
  return 0;
}

int run_state(const std::string& log, const std::string& at, bool json) {
  OpenedLog opened = open_log(log);
  ScanProgress progress(*opened.reader);
  Seq to = opened.reader->last_seq();
  if (!at.empty()) {
    if (at.find_first_not_of("0123456789") == std::string::npos) {
      // A seq past the end is refused: the state "after" a record that is not there does not exist.
      Seq asked = at.size() > 18 ? INT64_MAX : std::stoll(at);
      if (asked > to) {
        std::fprintf(stderr, "cohort-replay: --at %s is past the end of %s: its last record is %lld\n", at.c_str(),
                     log.c_str(), static_cast<long long>(to));
        return kCannotRun;
      }
      to = asked;
    } else if (auto time = parse_utc_time(at)) {
      to = opened.reader->last_at_or_before(*time);
    } else {
      std::fprintf(stderr, "cohort-replay: --at takes a seq or a UTC time like 2026-11-22T14:05:00Z\n");
      return kCannotRun;
    }
  }
  Projector projector(opened.experiment);
  projector.auditing = false;
  projector.analysing = false;
  rebuild(*opened.reader, projector, 1, to);
  progress.finish();
  std::string out = json ? state_json(projector.map, projector.last_seq) + "\n" : state_table(projector.map, projector.last_seq);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

// "no subject fay in LOG": trace and timeline say so alike, with kCannotRun.
int no_such_target(const TraceTarget& target, const std::string& log) {
  std::string what = target.game != kNoGame ? "game " + std::to_string(target.game) : "subject " + target.subject;
  std::fprintf(stderr, "cohort-replay: no %s in %s\n", what.c_str(), log.c_str());
  return kCannotRun;
}

int run_trace(const std::string& log, const TraceTarget& target, bool json) {
  OpenedLog opened = open_log(log);
  ScanProgress progress(*opened.reader);
  // Printed once the whole log has been read: a damaged record further on prints nothing.
  std::string out;
  bool found = false;
  trace(*opened.reader, target, [&](const RecordView& record) {
    found = true;
    out += (json ? trace_json(record) : trace_line(record)) + "\n";
  });
  progress.finish();
  if (!found && !target.admin) return no_such_target(target, log);  // no researcher's command: an empty list
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int run_audit(const std::string& log) {
  OpenedLog opened = open_log(log);
  ScanProgress progress(*opened.reader);
  AuditReport report = audit_log(*opened.reader, opened.experiment);
  progress.finish();
  std::fwrite(report.text.data(), 1, report.text.size(), stdout);
  if (report.violations) {
    std::printf("%zu violation%s\n", report.violations, report.violations == 1 ? "" : "s");
    return 1;
  }
  std::printf("no violation in %lld records\n", static_cast<long long>(opened.reader->last_seq()));
  return 0;
}

int run_rerun(const std::string& log) {
  OpenedLog opened = open_log(log);
  ScanProgress progress(*opened.reader);
  RerunResult result = rerun(*opened.reader, opened.experiment);
  progress.finish();
  if (result.first_difference) {
    std::printf("differs: %s\n", result.first_difference->c_str());
    return 1;
  }
  std::printf("same: %lld commands decide the logged events\n", static_cast<long long>(result.commands));
  return 0;
}

// One of --sessions, --subjects, --metrics: CLI11 makes sure of it.
int run_export(const std::string& log, const std::string& what, const std::string& format, const std::string& out_path) {
  OpenedLog opened = open_log(log);
  ScanProgress progress(*opened.reader);
  ExportFormat as = format == "jsonl" ? ExportFormat::jsonl : ExportFormat::csv;
  std::string text;
  if (what == "subjects") {
    text = subjects_export(opened, as);
  } else if (what == "metrics") {
    text = metrics_export(opened, as);
  } else {
    Projector projector(opened.experiment);
    projector.auditing = false;
    projector.mapping = false;
    rebuild(*opened.reader, projector);
    text = sessions_export(projector.analytics, as);
  }
  progress.finish();
  return write_output(text, out_path);
}

int run_data_export(const std::string& log, const std::string& dir) {
  OpenedLog opened = open_log(log);
  DataExportReport report;
  try {
    report = export_data(opened, dir);
  } catch (const std::runtime_error& error) {
    std::fprintf(stderr, "cohort-replay: %s\n", error.what());
    return kCannotRun;
  }
  std::printf("exported: %zu data rows, %zu attachment files to %s\n", report.rows, report.files, dir.c_str());
  return 0;
}

int run_backup(const std::string& log, const std::string& out, bool replace) {
  BackupResult result = backup_log(log, out, replace);
  std::printf("backed up: %lld records to %s\n", static_cast<long long>(result.records), out.c_str());
  return 0;
}

int run_timeline(const std::string& log, const TraceTarget& target, const std::string& out_path) {
  OpenedLog opened = open_log(log);
  ScanProgress progress(*opened.reader);
  auto timeline = collect_timeline(*opened.reader, *opened.experiment, target);
  progress.finish();
  if (!timeline) return no_such_target(target, log);
  return write_output(timeline_svg(*timeline), out_path);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cohort-replay: replay, audit and export a Cohort log"};
  app.require_subcommand(1);
  std::string log, at, format = "csv", out;
  bool json = false, sessions = false, subjects = false, metrics = false, force = false;

  auto* verify = app.add_subcommand("verify", "gap-free positions, checksums, schema version; exit 1 if not sound");
  verify->add_option("LOG", log, "the log file")->required();

  auto* state = app.add_subcommand("state", "the session map after a record (default: the last)");
  state->add_option("LOG", log, "the log file")->required();
  state->add_option("--at", at, "a seq, or a UTC time (the last record at or before it)");
  state->add_flag("--json", json, "the JSON of GET /admin/state");

  // trace and timeline: the log, and a subject or a game.
  TraceTarget target;
  auto add_target = [&](const char* name, const char* description) {
    auto* command = app.add_subcommand(name, description);
    command->add_option("LOG", log, "the log file")->required();
    auto* by_subject = command->add_option("--subject", target.subject, "a subject id");
    auto* by_game = command->add_option("--game", target.game, "a game id");
    by_subject->excludes(by_game);
    return command;
  };
  auto* trace_command = add_target("trace", "every command and event that touched a subject or a game");
  trace_command->add_flag("--json", json, "JSON lines");
  auto* by_admin = trace_command->add_flag("--admin", target.admin,
                                           "instead: every command the researcher gave from the dashboard, and what it caused");
  by_admin->excludes("--subject")->excludes("--game");

  auto* audit_command = app.add_subcommand("audit", "check the invariants after every event; exit 1 if any is broken");
  audit_command->add_option("LOG", log, "the log file")->required();

  auto* rerun_command = app.add_subcommand("rerun", "re-decide the journaled commands with this build; exit 1 at the first difference");
  rerun_command->add_option("LOG", log, "the log file")->required();

  auto* export_command = app.add_subcommand("export", "a table for analysis: sessions, subjects or metrics messages; or the participant's data");
  export_command->add_option("LOG", log, "the log file")->required();
  auto* by_sessions = export_command->add_flag("--sessions", sessions, "one row per player per game (PROTOCOL.md 6)");
  auto* by_subjects = export_command->add_flag("--subjects", subjects, "one row per subject ever registered");
  auto* by_metrics = export_command->add_flag("--metrics", metrics, "one row per metrics message, its keys flattened");
  std::string data_dir;
  auto* by_data = export_command->add_option("--data", data_dir,
                                             "the participant's data into DIR: JSON lines per kind, attachments as files");
  by_sessions->excludes(by_subjects)->excludes(by_metrics)->excludes(by_data);
  by_subjects->excludes(by_metrics)->excludes(by_data);
  by_metrics->excludes(by_data);
  export_command->add_option("--format", format, "csv or jsonl")->check(CLI::IsMember({"csv", "jsonl"}));
  export_command->add_option("--out", out, "write to this file instead of stdout (not over an existing one)");
  export_command->add_flag("--force", force, "let --out replace an existing file");

  auto* timeline_command = add_target("timeline", "a game's or a subject's records drawn as an SVG timeline");
  timeline_command->add_option("--out", out, "write the SVG to this file instead of stdout (not over an existing one)");
  timeline_command->add_flag("--force", force, "let --out replace an existing file");

  auto* backup_command =
      app.add_subcommand("backup", "a consistent copy of the log, even while a server writes it (docs/replay.md)");
  backup_command->add_option("LOG", log, "the log file")->required();
  backup_command->add_option("OUT", out, "the file to write")->required();
  backup_command->add_flag("--force", force, "replace OUT if it exists");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    std::fprintf(stderr, "cohort-replay: %s (see --help)\n", error.what());
    return kCannotRun;
  }
  if ((*export_command || *timeline_command) && !may_write(out, force)) return kCannotRun;
  try {
    if (*verify) return run_verify(log);
    if (*state) return run_state(log, at, json);
    if (*export_command) {
      if (!data_dir.empty()) return run_data_export(log, data_dir);
      if (!sessions && !subjects && !metrics) {
        std::fprintf(stderr, "cohort-replay: export needs --sessions, --subjects, --metrics or --data DIR\n");
        return kCannotRun;
      }
      return run_export(log, subjects ? "subjects" : metrics ? "metrics" : "sessions", format, out);
    }
    if (*backup_command) return run_backup(log, out, force);
    if (*rerun_command) return run_rerun(log);
    if (*audit_command) return run_audit(log);
    if (*trace_command || *timeline_command) {
      if (target.subject.empty() && target.game == kNoGame && !target.admin) {
        std::fprintf(stderr, "cohort-replay: %s needs --subject ID or --game ID%s\n", *trace_command ? "trace" : "timeline",
                     *trace_command ? " (or --admin)" : "");
        return kCannotRun;
      }
      return *trace_command ? run_trace(log, target, json) : run_timeline(log, target, out);
    }
  } catch (const StoreError& error) {
    std::fprintf(stderr, "cohort-replay: %s\n", error.what());
  } catch (const ConfigError& error) {
    std::fprintf(stderr, "cohort-replay: %s\n", error.what());
  } catch (const CodecError& error) {
    std::fprintf(stderr, "cohort-replay: %s: %s\n", log.c_str(), error.what());
  }
  return kCannotRun;
}
