// Who may see /admin/*: the session cookie a login sets (never the token), its attributes and
// expiry, the Bearer header for scripts, failed guesses throttled per address, and the config's
// rules for the admin token (issue 15 item 6).
#include <catch2/catch.hpp>

#include "server/config.h"
#include "server/http/admin_auth.h"
#include "server/http/url_text.h"
#include "server/secrets.h"
#include "store/config_redaction.h"

using namespace cohort;
using Kind = AdminAccess::Verdict::Kind;
using namespace std::chrono_literals;

namespace {

const std::string kToken = "a-long-admin-token+/;=";
const AdminAccess::Clock::time_point t0{};

// The value of the cookie a Set-Cookie header sets: `cohort_admin=<id>`.
std::string cookie_pair(const std::string& set_cookie) { return set_cookie.substr(0, set_cookie.find(';')); }

std::string config_error(const std::string& server_json) {
  try {
    parse_config(R"({"experiment_id":"x","server":)" + server_json + R"(,"scenes":[{"scene_id":"a","type":"static"}]})");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("admin: a login sets a random session id, never the token, HttpOnly, SameSite=Strict, Path=/admin, Max-Age",
          "[admin]") {
  AdminAccess access(kToken, AdminPolicy{});
  auto verdict = access.login(kToken, "10.0.0.1", t0);
  REQUIRE(verdict.kind == Kind::allowed);
  const std::string& cookie = verdict.set_cookie;
  CHECK(cookie.find(kToken) == std::string::npos);
  CHECK(cookie.find(url_encode(kToken)) == std::string::npos);
  std::string pair = cookie_pair(cookie);
  REQUIRE(pair.starts_with("cohort_admin="));
  CHECK(pair.size() == std::string("cohort_admin=").size() + 64);  // 256 random bits, in hex
  CHECK(cookie.find("; HttpOnly") != std::string::npos);
  CHECK(cookie.find("; SameSite=Strict") != std::string::npos);
  CHECK(cookie.find("Path=") == std::string::npos);  // the login's directory, under any proxy prefix
  CHECK(cookie.find("; Max-Age=43200") != std::string::npos);  // 12 hours
  CHECK(cookie.find("Secure") == std::string::npos);  // not told it is behind https
  // Two logins, two sessions.
  CHECK(cookie_pair(access.login(kToken, "10.0.0.1", t0).set_cookie) != pair);
  CHECK(access.open_sessions(t0) == 2);
}

TEST_CASE("admin: the cookie is Secure when the server is behind https", "[admin]") {
  AdminAccess access(kToken, AdminPolicy{.secure_cookie = true});
  std::string cookie = access.login(kToken, "10.0.0.1", t0).set_cookie;
  CHECK(cookie.ends_with("; Secure"));
  CHECK(cookie.find("; HttpOnly") != std::string::npos);
}

TEST_CASE("admin: the session cookie lets a browser in until it expires, and the server then forgets it", "[admin]") {
  AdminAccess access(kToken, AdminPolicy{.session_lifetime = 3600s});
  std::string pair = cookie_pair(access.login(kToken, "10.0.0.1", t0).set_cookie);
  CHECK(access.request("", pair, "10.0.0.1", t0 + 10s).kind == Kind::allowed);
  CHECK(access.request("", "theme=dark; " + pair + "; x=1", "10.0.0.9", t0 + 3599s).kind == Kind::allowed);
  // A cookie holding the token itself, a changed id, a look-alike name: no way in.
  CHECK(access.request("", "cohort_admin=" + kToken, "10.0.0.1", t0).kind == Kind::unauthorized);
  std::string changed = pair;
  changed.back() = changed.back() == '0' ? '1' : '0';
  CHECK(access.request("", changed, "10.0.0.1", t0).kind == Kind::unauthorized);
  CHECK(access.request("", "x" + pair, "10.0.0.1", t0).kind == Kind::unauthorized);
  // Expired: refused, and no longer held.
  CHECK(access.request("", pair, "10.0.0.1", t0 + 3600s).kind == Kind::unauthorized);
  CHECK(access.open_sessions(t0 + 3600s) == 0);
}

TEST_CASE("admin: scripts keep using the Bearer header", "[admin]") {
  AdminAccess access(kToken, AdminPolicy{});
  CHECK(access.request("Bearer " + kToken, "", "10.0.0.1", t0).kind == Kind::allowed);
  CHECK(access.request("Bearer a-long-admin-token", "", "10.0.0.1", t0).kind == Kind::unauthorized);
  CHECK(access.request(kToken, "", "10.0.0.1", t0).kind == Kind::unauthorized);
  CHECK(access.request("", "", "10.0.0.1", t0).kind == Kind::unauthorized);
  CHECK(access.open_sessions(t0) == 0);  // a Bearer request opens no session
}

TEST_CASE("admin: after 5 failed logins in a minute an address gets 429 without its token being checked", "[admin]") {
  AdminAccess access(kToken, AdminPolicy{});
  for (int i = 0; i < 5; ++i) CHECK(access.login("wrong-token-wrong", "10.0.0.1", t0 + std::chrono::seconds(i)).kind == Kind::unauthorized);
  auto throttled = access.login(kToken, "10.0.0.1", t0 + 10s);  // even the right token
  CHECK(throttled.kind == Kind::throttled);
  CHECK(throttled.retry_after == 50s);  // when the first failure leaves the minute
  CHECK(throttled.set_cookie.empty());
  CHECK(access.request("Bearer " + kToken, "", "10.0.0.1", t0 + 10s).kind == Kind::throttled);
  // Another address is not held back, by the form or by the header.
  CHECK(access.login(kToken, "10.0.0.2", t0 + 10s).kind == Kind::allowed);
  CHECK(access.request("Bearer " + kToken, "", "10.0.0.2", t0 + 10s).kind == Kind::allowed);
  // Once the oldest failure is a minute old, the address may try again.
  CHECK(access.login(kToken, "10.0.0.1", t0 + 60s).kind == Kind::allowed);
}

TEST_CASE("admin: wrong Bearer tokens count as failed attempts; a signed-in browser at that address stays in",
          "[admin]") {
  AdminAccess access(kToken, AdminPolicy{});
  std::string pair = cookie_pair(access.login(kToken, "10.0.0.1", t0).set_cookie);
  for (int i = 0; i < 5; ++i) CHECK(access.request("Bearer nope-nope-nope-nope", "", "10.0.0.1", t0).kind == Kind::unauthorized);
  CHECK(access.request("Bearer nope-nope-nope-nope", "", "10.0.0.1", t0).kind == Kind::throttled);
  CHECK(access.login(kToken, "10.0.0.1", t0).kind == Kind::throttled);
  CHECK(access.request("", pair, "10.0.0.1", t0).kind == Kind::allowed);
  // Requests with no credentials at all are not guesses.
  AdminAccess fresh(kToken, AdminPolicy{});
  for (int i = 0; i < 20; ++i) CHECK(fresh.request("", "", "10.0.0.3", t0).kind == Kind::unauthorized);
  CHECK(fresh.login(kToken, "10.0.0.3", t0).kind == Kind::allowed);
}

TEST_CASE("admin: the addresses remembered for throttling are bounded", "[admin]") {
  AdminAccess access(kToken, AdminPolicy{.max_addresses = 100});
  for (int i = 0; i < 1000; ++i) access.login(std::nullopt, "10.1." + std::to_string(i), t0);
  // The newest addresses are still held back after their failures; nothing grew past the bound
  // (an address forgotten may fail 5 more times: the bound trades that for memory).
  for (int i = 0; i < 4; ++i) access.login(std::nullopt, "10.1.999", t0);
  CHECK(access.login(kToken, "10.1.999", t0).kind == Kind::throttled);
}

TEST_CASE("secrets: random hex and constant-time comparison", "[admin]") {
  std::string a = random_hex(16), b = random_hex(16);
  CHECK(a.size() == 32);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != b);
  CHECK(same_secret("abc", "abc"));
  CHECK_FALSE(same_secret("abc", "abcd"));
  CHECK_FALSE(same_secret("", "a"));
  CHECK(same_secret("", ""));
}

TEST_CASE("config: server.admin_token needs 16 characters; server.behind_https", "[admin][config]") {
  CHECK(config_error(R"({"admin_token":"fifteen-chars-x"})") ==
        "config: server.admin_token: must be at least 16 characters (or left out: the server then draws one)");
  CHECK(config_error(R"({"admin_token":"sixteen-chars-xx"})") == "accepted");
  CHECK(config_error(R"({})") == "accepted");  // drawn at start-up
  CHECK(config_error(R"({"behind_https":"yes"})").starts_with("config: server.behind_https"));
  Config config = parse_config(R"({"experiment_id":"x","server":{"behind_https":true},"scenes":[{"scene_id":"a","type":"static"}]})");
  CHECK(config.server.behind_https);
  CHECK_FALSE(demo_config().server.behind_https);
}

TEST_CASE("config as the log records it: server.admin_token cut out, every other byte kept", "[admin][config]") {
  CHECK(config_without_admin_token(R"({"experiment_id":"x","server":{"admin_token":"sixteen-chars-xx","port":1}})") ==
        R"({"experiment_id":"x","server":{"port":1}})");
  CHECK(config_without_admin_token(R"({"server":{"port":1,"admin_token":"sixteen-chars-xx"},"scenes":[]})") ==
        R"({"server":{"port":1},"scenes":[]})");
  CHECK(config_without_admin_token(R"({"server":{"admin_token":"sixteen-chars-xx"}})") == R"({"server":{}})");
  // A researcher's layout stays as it was.
  CHECK(config_without_admin_token("{\n  \"server\": {\n    \"admin_token\": \"sixteen-chars-xx\",\n    \"port\": 1\n  }\n}") ==
        "{\n  \"server\": {\n    \"port\": 1\n  }\n}");
  CHECK(config_without_admin_token("{ \"server\" : { \"port\" : 1 ,\n \"admin_token\" : \"a\\\"b\" } }") ==
        "{ \"server\" : { \"port\" : 1  } }");
  // An escaped key is the same key to the config's parser, and so to this.
  CHECK(config_without_admin_token(R"({"server":{"admin\u005ftoken":"sixteen-chars-xx"}})") == R"({"server":{}})");
  // Only the server's: a scene or message holding the words is the researcher's text.
  std::string elsewhere = R"({"admin_token":"t","scenes":[{"admin_token":"t"}],"messages":{"x":"admin_token"}})";
  CHECK(config_without_admin_token(elsewhere) == elsewhere);
  CHECK(config_without_admin_token(R"({"server":{"port":1}})") == R"({"server":{"port":1}})");
  CHECK(config_without_admin_token("not json") == "not json");
  CHECK(config_without_admin_token("") == "");
  // Deep nesting is walked without recursion.
  std::string deep = R"({"server":{"admin_token":"sixteen-chars-xx"},"x":)" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  CHECK(config_without_admin_token(deep).find("sixteen-chars-xx") == std::string::npos);
}

TEST_CASE("admin: each signed-in session has a CSRF token of its own; a Bearer request has none", "[admin]") {
  AdminAccess access(kToken, AdminPolicy{});
  std::string first = cookie_pair(access.login(kToken, "10.0.0.1", t0).set_cookie);
  std::string second = cookie_pair(access.login(kToken, "10.0.0.1", t0).set_cookie);
  auto by_first = access.request("", first, "10.0.0.1", t0);
  REQUIRE(by_first.by_cookie());
  CHECK(by_first.csrf_token.size() == 64);
  CHECK(first.find(by_first.csrf_token) == std::string::npos);  // not the session id
  CHECK(access.request("", first, "10.0.0.1", t0 + 1s).csrf_token == by_first.csrf_token);  // stable
  CHECK(access.request("", second, "10.0.0.1", t0).csrf_token != by_first.csrf_token);
  CHECK(!access.request("Bearer " + kToken, "", "10.0.0.1", t0).by_cookie());
}

TEST_CASE("admin: a POST by cookie needs its session's CSRF token and no foreign Origin; by Bearer, neither", "[admin]") {
  AdminAccess access(kToken, AdminPolicy{});
  std::string pair = cookie_pair(access.login(kToken, "10.0.0.1", t0).set_cookie);
  std::string other = cookie_pair(access.login(kToken, "10.0.0.1", t0).set_cookie);
  auto by_cookie = access.request("", pair, "10.0.0.1", t0);
  const std::string& csrf = by_cookie.csrf_token;
  const std::string host = "study.example:8080";
  CHECK(!csrf_refusal(by_cookie, csrf, "", host));
  CHECK(!csrf_refusal(by_cookie, csrf, "https://study.example:8080", host));
  CHECK(!csrf_refusal(by_cookie, csrf, "http://STUDY.example:8080", host));
  CHECK(csrf_refusal(by_cookie, "", "", host));
  CHECK(csrf_refusal(by_cookie, access.request("", other, "10.0.0.1", t0).csrf_token, "", host));  // another session's
  CHECK(csrf_refusal(by_cookie, csrf, "https://evil.example", host));
  CHECK(csrf_refusal(by_cookie, csrf, "null", host));
  auto by_bearer = access.request("Bearer " + kToken, "", "10.0.0.1", t0);
  CHECK(!csrf_refusal(by_bearer, "", "https://evil.example", host));
}
