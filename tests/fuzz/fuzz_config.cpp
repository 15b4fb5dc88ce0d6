// libFuzzer target: the config loader, fed any text. It may accept, or refuse with a
// ConfigError that names the key's path; any other exception or a crash is a finding.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    cohort::parse_config(text);
  } catch (const cohort::ConfigError& error) {
    if (std::string(error.what()).empty()) std::abort();
  }
  return 0;
}
