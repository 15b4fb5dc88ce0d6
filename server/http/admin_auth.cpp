#include "server/http/admin_auth.h"

#include <algorithm>
#include <vector>

#include "server/secrets.h"
#include "server/transport/origin_policy.h"
#include "store/token_hash.h"

namespace cohort {
namespace {

constexpr std::string_view kBearer = "Bearer ";

// Every value the Cookie header gives cohort_admin (`a=1; cohort_admin=...; b=2`), in order.
std::vector<std::string_view> admin_cookies(std::string_view cookie) {
  std::vector<std::string_view> values;
  while (!cookie.empty()) {
    auto end = cookie.find(';');
    std::string_view pair = cookie.substr(0, end);
    while (pair.starts_with(' ')) pair.remove_prefix(1);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == kAdminCookie) values.push_back(pair.substr(eq + 1));
    if (end == std::string_view::npos) break;
    cookie.remove_prefix(end + 1);
  }
  return values;
}

}  // namespace

AdminAccess::AdminAccess(std::string token, AdminPolicy policy) : token_(std::move(token)), policy_(policy) {}

AdminAccess::Verdict AdminAccess::request(std::string_view authorization, std::string_view cookie,
                                          const std::string& address, Clock::time_point now) {
  MutexLock lock(mutex_);
  // A signed-in browser is let in whatever scripts at its address get wrong.
  if (const Session* session = valid_session(cookie, now)) {
    Verdict verdict{Verdict::Kind::allowed};
    verdict.csrf_token = session->csrf_token;
    return verdict;
  }
  if (!authorization.starts_with(kBearer)) return {Verdict::Kind::unauthorized};
  if (auto wait = throttled(address, now)) return {Verdict::Kind::throttled, *wait};
  if (same_secret(authorization.substr(kBearer.size()), token_)) return {Verdict::Kind::allowed};
  failed(address, now);
  return {Verdict::Kind::unauthorized};
}

AdminAccess::Verdict AdminAccess::login(std::optional<std::string_view> typed, const std::string& address,
                                        Clock::time_point now) {
  MutexLock lock(mutex_);
  if (auto wait = throttled(address, now)) return {Verdict::Kind::throttled, *wait};
  if (!typed || !same_secret(*typed, token_)) {
    failed(address, now);
    return {Verdict::Kind::unauthorized};
  }
  failures_.erase(address);
  forget_expired_sessions(now);
  std::string id = random_hex(32);
  sessions_[token_hash(id)] = Session{now + policy_.session_lifetime, random_hex(32)};
  Verdict verdict{Verdict::Kind::allowed};
  // No Path: the browser takes the login's own directory (/admin, or /e/<name>/admin behind a
  // proxy that routes experiments by path), so that each experiment's session stays its own.
  verdict.set_cookie = std::string(kAdminCookie) + "=" + id + "; Max-Age=" +
                       std::to_string(policy_.session_lifetime.count()) + "; HttpOnly; SameSite=Strict" +
                       (policy_.secure_cookie ? "; Secure" : "");
  return verdict;
}

std::size_t AdminAccess::open_sessions(Clock::time_point now) {
  MutexLock lock(mutex_);
  forget_expired_sessions(now);
  return sessions_.size();
}

// A plain loop, not a visitor: Clang checks a lambda's body as if no lock were held.
const AdminAccess::Session* AdminAccess::valid_session(std::string_view cookie, Clock::time_point now) {
  for (std::string_view id : admin_cookies(cookie)) {
    auto session = sessions_.find(token_hash(id));
    if (session == sessions_.end()) continue;
    if (session->second.expires > now) return &session->second;
    sessions_.erase(session);
  }
  return nullptr;
}

std::optional<std::chrono::seconds> AdminAccess::throttled(const std::string& address, Clock::time_point now) {
  auto entry = failures_.find(address);
  if (entry == failures_.end()) return std::nullopt;
  auto& times = entry->second;
  while (!times.empty() && times.front() + policy_.failure_window <= now) times.pop_front();
  if (times.empty()) {
    failures_.erase(entry);
    return std::nullopt;
  }
  if (static_cast<int>(times.size()) < policy_.failures_allowed) return std::nullopt;
  auto wait = std::chrono::ceil<std::chrono::seconds>(times.front() + policy_.failure_window - now);
  return std::max(wait, std::chrono::seconds(1));
}

void AdminAccess::failed(const std::string& address, Clock::time_point now) {
  if (failures_.size() >= policy_.max_addresses && !failures_.contains(address)) {
    // Full: forget what has aged out; if that is not enough, the address that failed longest ago.
    std::erase_if(failures_, [&](const auto& entry) { return entry.second.back() + policy_.failure_window <= now; });
    if (failures_.size() >= policy_.max_addresses) {
      failures_.erase(std::min_element(failures_.begin(), failures_.end(), [](const auto& a, const auto& b) {
        return a.second.back() < b.second.back();
      }));
    }
  }
  failures_[address].push_back(now);
}

void AdminAccess::forget_expired_sessions(Clock::time_point now) {
  std::erase_if(sessions_, [&](const auto& session) { return session.second.expires <= now; });
}

std::optional<std::string> csrf_refusal(const AdminAccess::Verdict& verdict, std::string_view sent_token,
                                        std::string_view origin, std::string_view host) {
  if (!verdict.by_cookie()) return std::nullopt;
  if (sent_token.empty()) return "a signed-in browser's request must send the page's X-Cohort-CSRF token";
  if (!same_secret(sent_token, verdict.csrf_token)) return "the X-Cohort-CSRF token is not this session's";
  if (!origin_allowed(origin, host, {})) return "the request comes from a page of another site";
  return std::nullopt;
}

}  // namespace cohort
