#include "server/transport/origin_policy.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace cohort {
namespace {

bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// "https://study.example:8443" -> "study.example:8443"; "" for an Origin of another form.
std::string_view host_of(std::string_view origin) {
  auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view host = origin.substr(scheme_end + 3);
  if (host.empty() || host.find('/') != std::string_view::npos) return {};
  return host;
}

}  // namespace

bool origin_allowed(std::string_view origin, std::string_view host, const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;
  if (!allowed.empty()) {
    return std::any_of(allowed.begin(), allowed.end(),
                       [&](const std::string& entry) { return entry == "*" || same_text(entry, origin); });
  }
  std::string_view origin_host = host_of(origin);
  return !origin_host.empty() && same_text(origin_host, host);
}

}  // namespace cohort
