// libFuzzer target: json_nesting, the depth check that runs before every parse of outside JSON
// (wire messages, configs, a log's recorded config). Whenever RapidJSON's iterative parser
// accepts a text, the depth json_nesting gave must be at least the depth of what was parsed
// (else a deep text could pass the check), and equal to it unless a NUL byte ends the parse
// early (RapidJSON stops at a NUL after the root value; json_nesting reads on, so it can only
// say deeper). The parsed value is walked with a stack of its own: nothing here recurses.
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/vocabulary/json_nesting.h"

namespace {

std::size_t depth_of(const rapidjson::Value& root) {
  std::size_t deepest = 0;
  std::vector<std::pair<const rapidjson::Value*, std::size_t>> pending{{&root, 0}};
  while (!pending.empty()) {
    auto [value, above] = pending.back();
    pending.pop_back();
    if (value->IsArray()) {
      deepest = std::max(deepest, above + 1);
      for (const auto& element : value->GetArray()) pending.emplace_back(&element, above + 1);
    } else if (value->IsObject()) {
      deepest = std::max(deepest, above + 1);
      for (const auto& member : value->GetObject()) pending.emplace_back(&member.value, above + 1);
    }
  }
  return deepest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t counted = cohort::json_nesting(text);
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError()) return 0;
  std::size_t parsed = depth_of(doc);
  if (counted < parsed) std::abort();
  if (counted != parsed && text.find('\0') == std::string_view::npos) std::abort();
  return 0;
}
