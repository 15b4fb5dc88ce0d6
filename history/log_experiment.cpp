#include "history/log_experiment.h"

#include <ctime>
#include <regex>

#include "engine/vocabulary/experiment_json.h"
#include "store/recorded_experiment.h"

namespace cohort {

OpenedLog open_log(const std::string& path) {
  OpenedLog opened;
  opened.reader = std::make_unique<LogReader>(path);
  std::optional<RecordedExperiment> recorded;
  try {
    recorded = recorded_experiment(*opened.reader);
  } catch (const ConfigError& error) {
    throw ConfigError(path + ": the recorded " + error.what());
  }
  if (!recorded) throw ConfigError(path + ": the log records no experiment config");
  opened.experiment = recorded->experiment;
  return opened;
}

std::optional<Millis> parse_utc_time(const std::string& text) {
  static const std::regex iso(R"((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z?)");
  std::smatch m;
  if (!std::regex_match(text, m, iso)) return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  Millis ms = 0;
  if (m[7].matched) {
    std::string fraction = m[7].str();
    fraction.resize(3, '0');
    ms = std::stoi(fraction);
  }
  return static_cast<Millis>(timegm(&tm)) * 1000 + ms;
}

std::string format_utc_time(Millis at) {
  std::time_t seconds = at / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03lldZ", buffer, static_cast<long long>(at % 1000));
  return out;
}

}  // namespace cohort
