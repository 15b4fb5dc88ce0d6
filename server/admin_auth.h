#pragma once
// Who may see /admin/*: a request with `Authorization: Bearer <token>` (scripts, curl), or a
// browser holding the cookie that POST /admin/login sets after the token was typed into the
// login form. The cookie is a session cookie, sent only to /admin and only from this site.
#include <string>
#include <string_view>

namespace cohort {

inline constexpr std::string_view kAdminCookie = "cohort_admin";

// `authorization` and `cookie` are the request's headers ("" when absent).
bool admin_authorized(std::string_view authorization, std::string_view cookie, std::string_view token);
// The Set-Cookie value that lets a browser in after a good login.
std::string admin_cookie(std::string_view token);
// Equal texts, in a time that does not depend on where they first differ.
bool same_secret(std::string_view a, std::string_view b);

}  // namespace cohort
