#pragma once
// Who may see /admin/*: a request with `Authorization: Bearer <token>` (scripts, curl), or a
// browser holding the session cookie that POST /admin/login sets once the token was typed into
// the sign-in form. The cookie holds a random session id, never the token: it is sent only to
// /admin, only from this site, never to page scripts, and only over https when the server is
// told it is behind https; it expires, and the server forgets it then. Sessions live in this
// process: a restart signs every researcher out.
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
  bool valid_session(std::string_view cookie, Clock::time_point now) REQUIRES(mutex_);
  // When `address` is throttled now: how long until it may try again.
  std::optional<std::chrono::seconds> throttled(const std::string& address, Clock::time_point now) REQUIRES(mutex_);
  void failed(const std::string& address, Clock::time_point now) REQUIRES(mutex_);
  void forget_expired_sessions(Clock::time_point now) REQUIRES(mutex_);

  const std::string token_;
  const AdminPolicy policy_;
  Mutex mutex_;
  // Session expiry, keyed by the hash of the session id (store/token_hash.h), so that looking a
  // cookie up takes no time that depends on the ids held.
  std::unordered_map<std::string, Clock::time_point> sessions_ GUARDED_BY(mutex_);
  // Each address's recent wrong tokens, oldest first.
  std::unordered_map<std::string, std::deque<Clock::time_point>> failures_ GUARDED_BY(mutex_);
};

}  // namespace cohort
