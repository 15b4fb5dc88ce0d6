// cohort-replay: the offline tool over a Cohort log (PROTOCOL.md section 6).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "replay-tool/verify.h"
#include "store/store_error.h"

namespace {

int run_verify(const std::string& log) {
  cohort::VerifyReport report = cohort::verify_log(log);
  if (report.first_fault) {
    std::printf("unsound: %s\n", report.first_fault->c_str());
    return 1;
  }
  std::printf("sound: %lld records\n", static_cast<long long>(report.records));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cohort-replay: replay, audit and export a Cohort log"};
  app.require_subcommand(1);
  std::string log;
  auto* verify = app.add_subcommand("verify", "gap-free positions, checksums, schema version; exit 1 if not sound");
  verify->add_option("LOG", log, "the log file")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    std::fprintf(stderr, "cohort-replay: %s (see --help)\n", error.what());
    return 2;
  }
  try {
    if (*verify) return run_verify(log);
  } catch (const cohort::StoreError& error) {
    std::fprintf(stderr, "cohort-replay: %s\n", error.what());
    return 2;
  }
  return 2;
}
