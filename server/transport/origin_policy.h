#pragma once
// Which web pages may open a socket (cross-site WebSocket hijacking): a browser sends the
// Origin of the page that opens a WebSocket, and any page a participant visits could otherwise
// open one to the study's server from their browser.
#include <string_view>
#include <vector>

namespace cohort {

// True when a socket opened with this Origin may be accepted:
// - no Origin at all: not a browser (a bot, a test client), allowed;
// - `allowed` set (server.allowed_origins): the Origin is one of them, compared without
//   regard to case ("*" allows every origin);
// - `allowed` empty: only the server's own pages, whose Origin names the Host they were
//   served from.
bool origin_allowed(std::string_view origin, std::string_view host, const std::vector<std::string>& allowed);

}  // namespace cohort
