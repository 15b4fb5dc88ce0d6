#pragma once
// The experiment config file (PROTOCOL.md section 2), validated at start-up: an unknown key, a
// wrong type or an impossible value is refused with the key's path in the message. The
// experiment's part is read by engine/vocabulary/experiment_json.h; this reads `server`.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/vocabulary/experiment_json.h"
#include "store/schema.h"

namespace cohort {

inline constexpr std::size_t kMinAdminTokenLength = 16;

struct ServerSettings {
  int port = 8080;                     // 0: the system picks a free one (the "started" line names it)
  std::string db = "cohort.db";
  Durability durability = Durability::full;
  std::string admin_token;             // "" = draw one at start-up and print it once; else >= 16 characters
  bool behind_https = false;           // clients reach the server over https (a TLS proxy): Secure cookies
  std::int64_t max_message_bytes = 1048576;
  // Beyond PROTOCOL.md (docs/server.md): flood control, pings, snapshots.
  int rate_limit_per_s = 200;          // messages a socket may send per second before rate_limited
  int ping_interval_ms = 25000;
  int ping_timeout_ms = 20000;
  int snapshot_every = 10000;          // records between session-map snapshots
  // Hostile clients (docs/server.md, "Bounds"):
  int connect_timeout_ms = 45000;      // a socket that sends no Socket.IO CONNECT by then is closed
  int rejections_per_s = 10;           // rejected messages journaled per socket per second
  int max_connections = 10000;         // open sockets (HTTP and WebSocket) at once
  int max_connections_per_address = 500;
  int max_queued_commands = 100000;    // commands waiting for the engine before `overloaded`
  int request_timeout_ms = 30000;      // an HTTP request (headers and body) must arrive within this
  int restart_grace_ms = 15000;        // after a restart, how long the subjects of the last run may take to come back
  // The participant's data (docs/server.md, "Participant data"): one data event, its JSON and
  // attachments together (and never more than max_message_bytes), and all a subject may store.
  std::int64_t max_data_bytes_per_message = 1048576;
  std::int64_t max_data_bytes_per_subject = 64LL * 1024 * 1024;
  std::vector<std::string> trusted_proxies;  // peers whose X-Forwarded-For names the client
  std::vector<std::string> allowed_origins;  // browser Origins that may open a socket; [] = the server's own
  // The study's page and its files (docs/mug.md): "" = none; else a directory, made absolute at start.
  std::string static_dir;
};

struct Config {
  Experiment experiment;
  ServerSettings server;
  std::string json;  // the config as given, recorded in the log's meta table
  // --accept-config-change, not a key of the file: start even when the experiment no longer fits
  // the games and waiters the log holds, ending what does not fit (docs/server.md).
  bool accept_config_change = false;
};

// Parses and validates; throws ConfigError("<path>: <why>").
Config parse_config(const std::string& json_text);
Config load_config_file(const std::string& path);
// The admin token kept in a file of its own (systemd's LoadCredential=, a secrets manager), so
// that the config need not hold it: the file's first line, without its line ending. Throws
// ConfigError naming the file when it cannot be read or the token is too short.
std::string admin_token_from_file(const std::string& path);
// The built-in demo (consent, one 2-seat game scene, end) with default server settings.
Config demo_config();

}  // namespace cohort
