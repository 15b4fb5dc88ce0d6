#pragma once
// The text of request targets and form bodies: paths, query parameters, percent-encoding.
#include <optional>
#include <string>
#include <string_view>

namespace cohort {

std::string_view path_of(std::string_view target);
// The decoded value of `key` in the target's query string ("" when absent).
std::string query_param(std::string_view target, std::string_view key);
// The decoded value of `key` in an application/x-www-form-urlencoded body or query string.
std::optional<std::string> form_field(std::string_view form, std::string_view key);
// %XX and '+' (a space in forms) decoded; a malformed escape is kept as written.
std::string url_decode(std::string_view text);
// Everything but unreserved characters (RFC 3986) as %XX: safe in a cookie value or a query.
std::string url_encode(std::string_view text);

}  // namespace cohort
