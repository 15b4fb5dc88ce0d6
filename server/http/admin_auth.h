#pragma once
// Who may see /admin/*: a request with `Authorization: Bearer <token>` (scripts, curl), or a
// browser holding the session cookie that POST /admin/login sets once the token was typed into
// the sign-in form. The cookie holds a random session id, never the token: it is sent only to
// /admin, only from this site, never to page scripts, and only over https when the server is
// told it is behind https; it expires, and the server forgets it then. Sessions live in this
// process: a restart signs every researcher out.
//
// A signed-in browser's session also holds a CSRF token, drawn with it: the dashboard page
// carries it, and a POST that the cookie admits must send it back (http_session.cpp), so that
// another site's page cannot act with the researcher's cookie (SameSite=Strict stops that in
// today's browsers; the token does not depend on it). A Bearer request needs none: no browser
// sends the header on its own.
//
// Guessing is throttled per client address (server/transport/client_address.h): after `failures_allowed`
// wrong tokens within `failure_window`, by the sign-in form or a Bearer header, the address is
// answered 429 until the oldest of them leaves the window, and its token is not even checked.
#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/mutex.h"

namespace cohort {

inline constexpr std::string_view kAdminCookie = "cohort_admin";

struct AdminPolicy {
  std::chrono::seconds session_lifetime = std::chrono::hours(12);
  int failures_allowed = 5;
  std::chrono::seconds failure_window = std::chrono::minutes(1);
  bool secure_cookie = false;  // server.behind_https
  std::size_t max_addresses = 10000;  // addresses whose failures are remembered at once
};

class AdminAccess {
 public:
  using Clock = std::chrono::steady_clock;

  struct Verdict {
    enum class Kind { allowed, unauthorized, throttled };
    Kind kind = Kind::unauthorized;
    std::chrono::seconds retry_after{0};  // throttled: when this address may try again
    std::string set_cookie;               // a login let in: the Set-Cookie header's value
    // Let in by the session cookie: that session's CSRF token ("" when let in by Bearer).
    std::string csrf_token;
    bool by_cookie() const { return !csrf_token.empty(); }
  };

  AdminAccess(std::string token, AdminPolicy policy);
  AdminAccess(const AdminAccess&) = delete;
  AdminAccess& operator=(const AdminAccess&) = delete;

  // A request for /admin/*: its Authorization and Cookie headers ("" when absent), and the
  // address it comes from. Thread-safe, as is everything here.
  Verdict request(std::string_view authorization, std::string_view cookie, const std::string& address,
                  Clock::time_point now);
  // POST /admin/login: the token typed into the form (nullopt: the form had none).
  Verdict login(std::optional<std::string_view> typed, const std::string& address, Clock::time_point now);
  std::size_t open_sessions(Clock::time_point now);

 private:
  struct Session {
    Clock::time_point expires;
    std::string csrf_token;
  };
  // The live session the cookie names, if any.
  const Session* valid_session(std::string_view cookie, Clock::time_point now) REQUIRES(mutex_);
  // When `address` is throttled now: how long until it may try again.
  std::optional<std::chrono::seconds> throttled(const std::string& address, Clock::time_point now) REQUIRES(mutex_);
  void failed(const std::string& address, Clock::time_point now) REQUIRES(mutex_);
  void forget_expired_sessions(Clock::time_point now) REQUIRES(mutex_);

  const std::string token_;
  const AdminPolicy policy_;
  Mutex mutex_;
  // Sessions, keyed by the hash of the session id (store/token_hash.h), so that looking a
  // cookie up takes no time that depends on the ids held.
  std::unordered_map<std::string, Session> sessions_ GUARDED_BY(mutex_);
  // Each address's recent wrong tokens, oldest first.
  std::unordered_map<std::string, std::deque<Clock::time_point>> failures_ GUARDED_BY(mutex_);
};

// Why a POST that `verdict` let in may not act, or nullopt when it may. Only a request let in by
// the cookie is checked: it must send its session's CSRF token back (`sent_token`, the
// X-Cohort-CSRF header) and, when it has an Origin header, come from a page of this server
// (the Origin names the request's Host, as transport/origin_policy.h compares them).
std::optional<std::string> csrf_refusal(const AdminAccess::Verdict& verdict, std::string_view sent_token,
                                        std::string_view origin, std::string_view host);

}  // namespace cohort
