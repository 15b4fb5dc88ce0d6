#pragma once
// Text from outside that is shown again (subject ids, recruitment ids, a researcher's message,
// completion codes) must hold no control character: no C0 byte, no DEL, and no C1 character
// (U+0080 to U+009F, two bytes in UTF-8), which some terminals obey as escape sequences when
// `cohort-replay trace` prints the text.
#include <string_view>

namespace cohort {

bool has_control_character(std::string_view utf8);

}  // namespace cohort
