#include "server/transport/client_address.h"

#include <algorithm>

namespace cohort {
namespace {

std::string_view trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool trusted(std::string_view address, const std::vector<std::string>& proxies) {
  return std::find(proxies.begin(), proxies.end(), address) != proxies.end();
}

}  // namespace

std::string client_address(std::string_view peer, std::string_view forwarded_for,
                           const std::vector<std::string>& trusted_proxies) {
  if (!trusted(peer, trusted_proxies)) return std::string(peer);
  std::string_view rest = forwarded_for;
  std::string_view nearest;
  while (!rest.empty()) {
    auto comma = rest.rfind(',');
    std::string_view hop = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    if (hop.empty()) continue;
    nearest = hop;
    if (!trusted(hop, trusted_proxies)) break;
  }
  return nearest.empty() ? std::string(peer) : std::string(nearest);
}

}  // namespace cohort
