#include "server/config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace cohort {
namespace {

ServerSettings read_server(ConfigObject& r) {
  ServerSettings s;
  s.port = static_cast<int>(r.integer("port", s.port, 0, 65535));  // 0: a free port, as --port 0
  s.db = r.string("db", s.db);
  if (s.db.empty()) ConfigObject::fail("server.db", "must not be empty");
  s.durability = r.choice("durability", "full", {"full", "normal"}) == "full" ? Durability::full : Durability::normal;
  s.admin_token = r.string("admin_token", "");
  if (!s.admin_token.empty() && s.admin_token.size() < kMinAdminTokenLength) {
    ConfigObject::fail("server.admin_token", "must be at least " + std::to_string(kMinAdminTokenLength) +
                                                 " characters (or left out: the server then draws one)");
  }
  s.behind_https = r.boolean("behind_https", s.behind_https);
  s.max_message_bytes = r.integer("max_message_bytes", s.max_message_bytes, 1024, 64 * 1024 * 1024);
  s.rate_limit_per_s = static_cast<int>(r.integer("rate_limit_per_s", s.rate_limit_per_s, 1, 100000));
  s.ping_interval_ms = static_cast<int>(r.integer("ping_interval_ms", s.ping_interval_ms, 100, 3600000));
  s.ping_timeout_ms = static_cast<int>(r.integer("ping_timeout_ms", s.ping_timeout_ms, 100, 3600000));
  s.snapshot_every = static_cast<int>(r.integer("snapshot_every", s.snapshot_every, 10, 100000000));
  s.connect_timeout_ms = static_cast<int>(r.integer("connect_timeout_ms", s.connect_timeout_ms, 100, 3600000));
  s.rejections_per_s = static_cast<int>(r.integer("rejections_per_s", s.rejections_per_s, 1, 100000));
  s.max_connections = static_cast<int>(r.integer("max_connections", s.max_connections, 1, 1000000));
  s.max_connections_per_address =
      static_cast<int>(r.integer("max_connections_per_address", s.max_connections_per_address, 1, 1000000));
  s.max_queued_commands = static_cast<int>(r.integer("max_queued_commands", s.max_queued_commands, 100, 100000000));
  s.request_timeout_ms = static_cast<int>(r.integer("request_timeout_ms", s.request_timeout_ms, 100, 3600000));
  s.restart_grace_ms = static_cast<int>(r.integer("restart_grace_ms", s.restart_grace_ms, 0, 86400000));
  s.max_data_bytes_per_message =
      r.integer("max_data_bytes_per_message", s.max_data_bytes_per_message, 1024, 64 * 1024 * 1024);
  s.max_data_bytes_per_subject =
      r.integer("max_data_bytes_per_subject", s.max_data_bytes_per_subject, 1024, 1LL << 40);
  s.trusted_proxies = r.strings("trusted_proxies");
  s.allowed_origins = r.strings("allowed_origins");
  s.static_dir = r.string("static_dir", "");
  if (!s.static_dir.empty()) {
    std::error_code ec;
    auto dir = std::filesystem::canonical(s.static_dir, ec);
    if (ec || !std::filesystem::is_directory(dir, ec)) ConfigObject::fail("server.static_dir", "is not a directory: " + s.static_dir);
    s.static_dir = dir.string();
  }
  r.finish();
  return s;
}

}  // namespace

Config parse_config(const std::string& json_text) {
  Config config;
  config.json = json_text;
  config.experiment = parse_experiment(json_text, [&config](ConfigObject& server) { config.server = read_server(server); });
  return config;
}

Config load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("config: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str());
}

std::string admin_token_from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string token;
  if (!in || !std::getline(in, token)) throw ConfigError("--admin-token-file: cannot read " + path);
  if (token.ends_with('\r')) token.pop_back();
  if (token.size() < kMinAdminTokenLength) {
    throw ConfigError("--admin-token-file: the token in " + path + " must be at least " +
                      std::to_string(kMinAdminTokenLength) + " characters");
  }
  return token;
}

Config demo_config() {
  return parse_config(R"({
  "experiment_id": "cohort-demo",
  "scenes": [
    {"scene_id": "consent", "type": "static"},
    {"scene_id": "cramped_room", "type": "game", "human_seats": 2, "waitroom_timeout_ms": 120000,
     "countdown_ms": 3000, "reconnection_timeout_ms": 5000},
    {"scene_id": "end", "type": "static"}
  ]
})");
}

}  // namespace cohort
