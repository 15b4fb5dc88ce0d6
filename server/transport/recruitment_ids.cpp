#include "server/transport/recruitment_ids.h"

#include <algorithm>

#include "engine/vocabulary/json_text.h"

namespace cohort {

KeptRegistration keep_recruitment_ids(const Recruitment& recruitment, std::string subject_id,
                                      const std::vector<std::pair<std::string, std::string>>& params) {
  auto value_of = [&params](const std::string& key) -> const std::string* {
    auto it = std::find_if(params.begin(), params.end(), [&key](const auto& p) { return p.first == key; });
    return it == params.end() ? nullptr : &it->second;
  };
  KeptRegistration kept;
  if (subject_id.empty() && !recruitment.subject_id_from.empty()) {
    if (const std::string* from = value_of(recruitment.subject_id_from); from && !from->empty()) subject_id = *from;
  }
  if (subject_id.empty()) {
    kept.error = recruitment.subject_id_from.empty()
                     ? "subject_id is required"
                     : "subject_id is required, or params." + recruitment.subject_id_from;
    return kept;
  }
  JsonObject object;
  bool any = false;
  for (const std::string& key : recruitment.keep) {
    const std::string* value = key == recruitment.subject_id_is ? &subject_id : value_of(key);
    if (!value) continue;
    object.str(key, *value);
    any = true;
  }
  kept.subject_id = std::move(subject_id);
  if (any) kept.params = object.text();
  return kept;
}

}  // namespace cohort
