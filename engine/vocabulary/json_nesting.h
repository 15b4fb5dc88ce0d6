#pragma once
// How deeply a JSON text nests, found by one pass that keeps no stack: checked before any
// parse of text from outside (a client's message, a config, a log's recorded config), so that
// no parser and no writer ever recurses in proportion to its input. RapidJSON's default parser
// recurses once per level: 200,000 `[` took the server down before this check.
#include <cstddef>
#include <string_view>

namespace cohort {

// Deeper than this, a text is refused (bad_payload on the wire, a config error at start-up).
inline constexpr std::size_t kMaxJsonNesting = 64;

// The deepest nesting of arrays and objects in `text`, counting brackets outside strings. A
// text that is not JSON gets some answer; the parser that follows refuses it.
std::size_t json_nesting(std::string_view text);

}  // namespace cohort
