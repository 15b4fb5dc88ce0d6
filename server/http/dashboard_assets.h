#pragma once
// The dashboard's page, script and style sheet, compiled in from server/http/dashboard/ (see
// server/http/embed_assets.cmake): GET /admin/ works from the binary alone.
#include <optional>
#include <string_view>

namespace cohort {

struct DashboardAsset {
  std::string_view content_type;
  std::string_view body;
};

// "index.html", "login.html", "app.js", "style.css"; nullopt for any other name.
std::optional<DashboardAsset> dashboard_asset(std::string_view name);

}  // namespace cohort
