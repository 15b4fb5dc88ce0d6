#pragma once
// Who a connection speaks for. Behind a reverse proxy every peer is the proxy, so the address
// comes from X-Forwarded-For, but only when the peer is one of `server.trusted_proxies`: anyone
// else could write that header to pass as someone else.
#include <string>
#include <string_view>
#include <vector>

namespace cohort {

// The peer's address; or, when the peer is a trusted proxy, the nearest address of
// X-Forwarded-For (read from the right, proxies append) that is not itself a trusted proxy.
std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const std::vector<std::string>& trusted_proxies);

}  // namespace cohort
