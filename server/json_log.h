#pragma once
// One JSON line per notable happening on stderr. Lines of a noisy kind (rejected commands,
// closed sockets) are limited per second, with a count of what was left out.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace cohort::json_log {

using Field = std::pair<std::string_view, std::string>;

void line(std::string_view event, std::initializer_list<Field> fields);
// At most `per_second` lines of this event each second; the rest are counted in the next one.
void limited(std::string_view event, std::initializer_list<Field> fields, int per_second = 5);

}  // namespace cohort::json_log
