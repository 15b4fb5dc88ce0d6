// Who may connect, and how many: the client address behind a proxy, the Origin of a browser
// page, and the connection caps.
#include <catch2/catch.hpp>

#include "server/transport/client_address.h"
#include "server/transport/connection_limits.h"
#include "server/transport/origin_policy.h"

using namespace cohort;

TEST_CASE("client address: X-Forwarded-For counts only from a trusted proxy", "[connection]") {
  std::vector<std::string> proxies{"10.0.0.2", "10.0.0.3"};
  CHECK(client_address("203.0.113.9", "198.51.100.1", proxies) == "203.0.113.9");  // a peer writing the header itself
  CHECK(client_address("10.0.0.2", "198.51.100.1", proxies) == "198.51.100.1");
  CHECK(client_address("10.0.0.2", "6.6.6.6, 198.51.100.1", proxies) == "198.51.100.1");  // the client forged the first hop
  CHECK(client_address("10.0.0.2", "198.51.100.1, 10.0.0.3", proxies) == "198.51.100.1");  // two proxies
  CHECK(client_address("10.0.0.2", "10.0.0.3", proxies) == "10.0.0.3");
  CHECK(client_address("10.0.0.2", "", proxies) == "10.0.0.2");
  CHECK(client_address("10.0.0.2", " , ", proxies) == "10.0.0.2");
  CHECK(client_address("10.0.0.2", "198.51.100.1", {}) == "10.0.0.2");  // no proxy trusted
}

TEST_CASE("origin: a foreign page is refused, the server's own and a non-browser are allowed", "[connection]") {
  CHECK(origin_allowed("", "study.example", {}));
  CHECK(origin_allowed("https://study.example", "study.example", {}));
  CHECK(origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080", {}));
  CHECK(origin_allowed("HTTPS://Study.Example", "study.example", {}));
  CHECK_FALSE(origin_allowed("https://evil.example", "study.example", {}));
  CHECK_FALSE(origin_allowed("https://study.example.evil.example", "study.example", {}));
  CHECK_FALSE(origin_allowed("http://127.0.0.1:9999", "127.0.0.1:8080", {}));  // another port is another origin
  CHECK_FALSE(origin_allowed("null", "study.example", {}));
  CHECK_FALSE(origin_allowed("https://study.example/path", "study.example", {}));
  std::vector<std::string> allowed{"https://games.example.org"};
  CHECK(origin_allowed("https://games.example.org", "api.example.org", allowed));
  CHECK_FALSE(origin_allowed("https://api.example.org", "api.example.org", allowed));  // the list replaces the default
  CHECK(origin_allowed("https://anything.example", "x", {"*"}));
}

TEST_CASE("connection limits: sockets are capped in all and per address, and given back", "[connection]") {
  ConnectionLimits limits(3, 2);
  auto a1 = limits.open_socket("a");
  auto a2 = limits.open_socket("a");
  CHECK(a1);
  CHECK(a2);
  CHECK_FALSE(limits.open_socket("a"));  // per address
  auto b1 = limits.open_socket("b");
  CHECK(b1);
  CHECK_FALSE(limits.open_socket("c"));  // in all
  CHECK(limits.sockets() == 3);
  a1.reset();
  CHECK(limits.sockets() == 2);
  CHECK(limits.open_socket("a"));  // a place came back (and goes again at once)
  CHECK(limits.sockets() == 2);

  std::vector<ConnectionLimits::Lease> connections;
  for (int i = 0; i < 3 + ConnectionLimits::kHttpHeadroom; ++i) connections.push_back(limits.accept());
  for (const auto& lease : connections) CHECK(lease);
  CHECK_FALSE(limits.accept());
  connections.pop_back();
  CHECK(limits.accept());
}
