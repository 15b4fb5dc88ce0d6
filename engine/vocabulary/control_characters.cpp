#include "engine/vocabulary/control_characters.h"

namespace cohort {

bool has_control_character(std::string_view utf8) {
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    const auto byte = static_cast<unsigned char>(utf8[i]);
    if (byte < 0x20 || byte == 0x7f) return true;
    // C1: 0xC2 then 0x80 to 0x9F.
    if (byte == 0xc2 && i + 1 < utf8.size() && static_cast<unsigned char>(utf8[i + 1]) <= 0x9f &&
        static_cast<unsigned char>(utf8[i + 1]) >= 0x80) {
      return true;
    }
  }
  return false;
}

}  // namespace cohort
