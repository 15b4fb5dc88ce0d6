// cohort-replay on a generated 1,000,000-record log: the seconds of each command, as a
// researcher runs it (the real binary, output to a file), beside the raw scan rate of the same
// file measured in the same round.
// Usage: build/bench_replay [--records N] [--rounds R] [--dir DIR] [--replay PATH]
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "server/config.h"
#include "tests/bench/raw_scan.h"
#include "tests/bench/workload.h"

extern char** environ;

using namespace cohort;

namespace {

struct Timed {
  int exit_code = -1;
  double seconds = 0;
};

// Runs the program with stdout and stderr to `out`, and times it from spawn to exit.
Timed run_timed(const std::vector<std::string>& argv, const std::string& out) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  Timed timed;
  auto start = std::chrono::steady_clock::now();
  pid_t pid;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    timed.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  timed.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  posix_spawn_file_actions_destroy(&actions);
  return timed;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cohort-replay's commands on a generated log, against the raw scan of the same file"};
  std::size_t target_records = 1'000'000;
  int rounds = 5;
  std::string dir = std::filesystem::temp_directory_path().string();
  std::string replay = (std::filesystem::canonical("/proc/self/exe").parent_path() / "cohort-replay").string();
  app.add_option("--records", target_records, "records in the generated log")->check(CLI::Range(10'000, 100'000'000));
  app.add_option("--rounds", rounds, "rounds of raw scan then every command")->check(CLI::Range(1, 20));
  app.add_option("--dir", dir, "where the temporary log goes")->check(CLI::ExistingDirectory);
  app.add_option("--replay", replay, "the cohort-replay binary")->check(CLI::ExistingFile);
  std::string keep;
  app.add_option("--keep-log", keep, "also leave a copy of the generated log here, for profiling");
  CLI11_PARSE(app, argc, argv);

  Config config = demo_config();
  bench::Workload workload(std::make_shared<Experiment>(config.experiment));
  workload.play_until(target_records);
  std::string base = dir + "/bench_replay-" + std::to_string(::getpid());
  std::string log = base + ".db";
  std::string out = base + ".out";
  workload.write_log(log, config.json);
  std::string subject = workload.commands.back().subject;  // someone in the last wave
  if (!keep.empty()) std::filesystem::copy_file(log, keep, std::filesystem::copy_options::overwrite_existing);

  // name, arguments after the program, expected exit code
  const std::vector<std::tuple<std::string, std::vector<std::string>, int>> commands = {
      {"verify", {"verify", log}, 0},
      {"state", {"state", log}, 0},
      {"state_json", {"state", log, "--json"}, 0},
      {"audit", {"audit", log}, 0},
      {"export_csv", {"export", log, "--sessions", "--out", out + ".csv"}, 0},
      {"trace_subject", {"trace", log, "--subject", subject}, 0},
  };
  std::map<std::string, std::vector<double>> ratios;
  bool all_ran = true;
  // Each command is timed right after a raw scan of the same file, and its ratio taken to that
  // scan: the machine's speed drifts between minutes, much less between neighbouring seconds.
  for (int round = 0; round < rounds; ++round) {
    for (const auto& [name, arguments, expected_exit] : commands) {
      bench::RawScan scan = bench::raw_scan(log);
      std::vector<std::string> args{replay};
      args.insert(args.end(), arguments.begin(), arguments.end());
      Timed timed = run_timed(args, out);
      double ratio = scan.seconds / timed.seconds;
      ratios[name].push_back(ratio);
      all_ran = all_ran && timed.exit_code == expected_exit;
      std::printf("config=%s round=%d exit=%d seconds=%.3f records_per_s=%.0f raw_scan_seconds=%.3f "
                  "ratio_to_scan=%.2f\n",
                  name.c_str(), round, timed.exit_code, timed.seconds,
                  static_cast<double>(scan.records) / timed.seconds, scan.seconds, ratio);
    }
  }
  for (const char* suffix : {".db", ".db-wal", ".db-shm", ".out", ".out.csv"}) std::filesystem::remove(base + suffix);
  double state = median(ratios["state"]);
  double exported = median(ratios["export_csv"]);
  std::printf("summary records=%zu state_median_ratio=%.2f export_median_ratio=%.2f audit_median_ratio=%.2f "
              "verify_median_ratio=%.2f goal=0.70 met=%s all_exit_as_expected=%s\n",
              workload.records, state, exported, median(ratios["audit"]), median(ratios["verify"]),
              state >= 0.7 && exported >= 0.7 ? "yes" : "no", all_ran ? "yes" : "no");
  return all_ran ? 0 : 1;
}
