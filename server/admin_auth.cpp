#include "server/admin_auth.h"

#include "server/url_text.h"

namespace cohort {

bool same_secret(std::string_view a, std::string_view b) {
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return difference == 0;
}

bool admin_authorized(std::string_view authorization, std::string_view cookie, std::string_view token) {
  constexpr std::string_view bearer = "Bearer ";
  if (authorization.starts_with(bearer) && same_secret(authorization.substr(bearer.size()), token)) return true;
  // Cookie: a=1; cohort_admin=...; b=2
  while (!cookie.empty()) {
    auto end = cookie.find(';');
    std::string_view pair = cookie.substr(0, end);
    while (pair.starts_with(' ')) pair.remove_prefix(1);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == kAdminCookie &&
        same_secret(url_decode(pair.substr(eq + 1)), token)) {
      return true;
    }
    if (end == std::string_view::npos) break;
    cookie.remove_prefix(end + 1);
  }
  return false;
}

std::string admin_cookie(std::string_view token) {
  return std::string(kAdminCookie) + "=" + url_encode(token) + "; Path=/admin; HttpOnly; SameSite=Strict";
}

}  // namespace cohort
