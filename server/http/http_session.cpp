#include "engine/vocabulary/json_text.h"
#include "history/timeline.h"
#include "history/timeline_svg.h"
#include "projections/sessions_export.h"
#include "projections/state_json.h"
#include "server/http/admin_auth.h"
#include "server/http/dashboard_assets.h"
#include "server/http/sse_stream.h"
#include "server/http/url_text.h"
#include "server/json_log.h"
#include "server/transport/client_address.h"
#include "server/transport/origin_policy.h"
#include "server/transport/sessions.h"
#include "store/checked_scan.h"
#include "store/recorded_experiment.h"

#include <boost/asio/post.hpp>

namespace cohort {
namespace {

constexpr std::uint32_t kMaxBodyBytes = 64 * 1024;
constexpr std::uint32_t kMaxHeaderBytes = 8 * 1024;

std::string error_body(std::string_view code, std::string_view message) {
  JsonObject body;
  body.str("code", code).str("message", message);
  return body.text();
}

// The sign-in form, with a line saying why it is shown again.
std::string login_page(std::string_view message) {
  std::string page(dashboard_asset("login.html")->body);
  if (!message.empty()) {
    page.replace(page.find("<!--message-->"), 14, "<p class=\"message\">" + std::string(message) + "</p>");
  }
  return page;
}

// The address a request speaks for: the peer, or the client a trusted proxy names.
std::string address_of(const StrandSocket& socket, const http::request<http::string_body>& request,
                       const ServerSettings& server) {
  beast::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  return client_address(ec ? "" : peer.address().to_string(), request["X-Forwarded-For"], server.trusted_proxies);
}

std::string try_again_in(std::chrono::seconds wait) {
  return "Too many wrong tokens from this address; try again in " + std::to_string(wait.count()) + " s.";
}

// A game id as the dashboard sends it: digits only.
std::optional<GameId> parse_game_id(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoll(text);
}

}  // namespace

HttpSession::HttpSession(StrandSocket&& socket, std::shared_ptr<ServerContext> context, ConnectionLimits::Lease lease)
    : stream_(std::move(socket)), context_(std::move(context)), lease_(std::move(lease)) {}

void HttpSession::run() {
  net::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::do_read, shared_from_this()));
}

void HttpSession::do_read() {
  parser_.emplace();
  parser_->body_limit(kMaxBodyBytes);
  parser_->header_limit(kMaxHeaderBytes);
  // The whole request, headers and body, within this: a peer that dribbles it (slowloris) is
  // cut off, and its connection closed.
  stream_.expires_after(std::chrono::milliseconds(context_->config.server.request_timeout_ms));
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
}

void HttpSession::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    return;
  }
  handle(parser_->release());
}

void HttpSession::handle(http::request<http::string_body>&& request) {
  keep_alive_ = request.keep_alive();
  std::string target(request.target());
  std::string_view path = path_of(target);
  if (path == "/socket.io/" || path == "/socket.io") {
    std::string transport = query_param(target, "transport");
    if (transport == "websocket" && websocket::is_upgrade(request) && query_param(target, "EIO") == "4") {
      upgrade(std::move(request));
      return;
    }
    respond(http::status::bad_request, "application/json",
            error_body("transport_unsupported", "only transport=websocket with EIO=4 is served"));
    return;
  }
  if (path == "/admin/login" && request.method() == http::verb::post) {
    login(request.body(), address_of(stream_.socket(), request, context_->config.server));
    return;
  }
  if (request.method() != http::verb::get) {
    respond(http::status::method_not_allowed, "application/json", error_body("method_not_allowed", "GET only"));
    return;
  }
  if (path == "/healthz") {
    JsonObject body;
    body.str("status", "ok").num("last_seq", context_->core.writer().last_committed());
    respond(http::status::ok, "application/json", body.text());
    return;
  }
  bool admin = path == "/admin" || path.starts_with("/admin/");
  if (admin) {
    std::string address = address_of(stream_.socket(), request, context_->config.server);
    auto verdict = context_->admin.request(request[http::field::authorization], request[http::field::cookie], address,
                                           AdminAccess::Clock::now());
    bool page = path == "/admin" || path == "/admin/";
    if (verdict.kind == AdminAccess::Verdict::Kind::throttled) {
      json_log::limited("admin_throttled", {{"address", address}, {"path", std::string(path)}});
      std::pair<http::field, std::string> retry{http::field::retry_after, std::to_string(verdict.retry_after.count())};
      if (page) {
        respond(http::status::too_many_requests, "text/html; charset=utf-8", login_page(try_again_in(verdict.retry_after)),
                {retry});
      } else {
        respond(http::status::too_many_requests, "application/json",
                error_body("too_many_attempts", try_again_in(verdict.retry_after)), {retry});
      }
      return;
    }
    if (verdict.kind == AdminAccess::Verdict::Kind::unauthorized) {
      if (page) {
        respond(http::status::unauthorized, "text/html; charset=utf-8", login_page(""));
      } else {
        respond(http::status::unauthorized, "application/json",
                error_body("unauthorized", "send Authorization: Bearer <admin_token>, or sign in at /admin/"));
      }
      return;
    }
  }
  if (path == "/admin") {
    respond(http::status::moved_permanently, "text/plain", "", {{http::field::location, "/admin/"}});
    return;
  }
  if (path == "/admin/" || path == "/admin/app.js" || path == "/admin/style.css") {
    auto asset = dashboard_asset(path == "/admin/" ? "index.html" : path.substr(7));
    respond(http::status::ok, std::string(asset->content_type), std::string(asset->body),
            {{http::field::cache_control, "no-cache"}});
    return;
  }
  if (path == "/admin/events") {
    auto stream = std::make_shared<SseStream>(tcp::socket(stream_.release_socket()));
    stream->start();
    context_->dashboard->subscribe(std::move(stream));
    return;
  }
  if (path == "/admin/dashboard") {
    context_->dashboard->build([self = shared_from_this()](std::string json) {
      net::post(self->stream_.get_executor(), [self, json = std::move(json)]() mutable {
        self->respond(http::status::ok, "application/json", std::move(json));
      });
    });
    return;
  }
  if (path == "/admin/timeline") {
    timeline(query_param(target, "game"), query_param(target, "subject"));
    return;
  }
  // Everything else reads the engine's projections on the engine thread.
  std::function<std::pair<std::string, std::string>(const Engine&)> read;
  if (path == "/metrics") {
    read = [context = context_](const Engine& engine) {
      context->core.metrics().state(engine.state());
      return std::pair<std::string, std::string>("text/plain; version=0.0.4", context->core.metrics().text());
    };
  } else if (path == "/admin/state") {
    read = [](const Engine& engine) {
      return std::pair<std::string, std::string>("application/json",
                                                 state_json(engine.state(), engine.projections().last_seq));
    };
  } else if (path == "/admin/audit") {
    read = [](const Engine& engine) {
      const auto& violations = engine.projections().audit.violations();
      std::string items;
      for (const auto& v : violations) {
        JsonObject item;
        item.num("seq", v.seq).num("invariant", v.invariant).str("detail", v.detail);
        items += (items.empty() ? "" : ",") + item.text();
      }
      JsonObject body;
      body.boolean("ok", violations.empty()).raw("violations", "[" + items + "]");
      return std::pair<std::string, std::string>("application/json", body.text());
    };
  } else if (path == "/admin/export/sessions") {
    std::string format = query_param(target, "format");
    if (format != "" && format != "csv" && format != "jsonl") {
      respond(http::status::bad_request, "application/json", error_body("bad_format", "format is csv or jsonl"));
      return;
    }
    bool jsonl = format == "jsonl";
    read = [jsonl](const Engine& engine) {
      return std::pair<std::string, std::string>(
          jsonl ? "application/x-ndjson" : "text/csv; charset=utf-8",
          sessions_export(engine.projections().analytics, jsonl ? ExportFormat::jsonl : ExportFormat::csv));
    };
  } else {
    respond(http::status::not_found, "application/json", error_body("not_found", "no such path"));
    return;
  }
  context_->core.pipeline().query([self = shared_from_this(), read = std::move(read)](const Engine& engine) {
    auto [type, body] = read(engine);
    net::post(self->stream_.get_executor(), [self, type = std::move(type), body = std::move(body)]() mutable {
      self->respond(http::status::ok, std::move(type), std::move(body));
    });
  });
}

void HttpSession::login(const std::string& form, const std::string& address) {
  auto token = form_field(form, "token");
  auto verdict = context_->admin.login(token ? std::optional<std::string_view>(*token) : std::nullopt, address,
                                       AdminAccess::Clock::now());
  switch (verdict.kind) {
    case AdminAccess::Verdict::Kind::throttled:
      json_log::limited("admin_login_throttled", {{"address", address}});
      respond(http::status::too_many_requests, "text/html; charset=utf-8", login_page(try_again_in(verdict.retry_after)),
              {{http::field::retry_after, std::to_string(verdict.retry_after.count())}});
      return;
    case AdminAccess::Verdict::Kind::unauthorized:
      json_log::limited("admin_login_refused", {{"address", address}});
      respond(http::status::unauthorized, "text/html; charset=utf-8", login_page("That is not this server's admin token."));
      return;
    case AdminAccess::Verdict::Kind::allowed:
      respond(http::status::see_other, "text/plain", "",
              {{http::field::location, "/admin/"}, {http::field::set_cookie, verdict.set_cookie}});
      return;
  }
}

// Scans the log file on the log readers' thread; the answer comes back to this connection.
void HttpSession::timeline(const std::string& game, const std::string& subject) {
  TraceTarget target;
  if (!game.empty()) {
    auto id = parse_game_id(game);
    if (!id) {
      respond(http::status::bad_request, "application/json", error_body("bad_request", "game is a game id (digits)"));
      return;
    }
    target.game = *id;
  } else if (!subject.empty()) {
    target.subject = subject;
  } else {
    respond(http::status::bad_request, "application/json", error_body("bad_request", "timeline needs ?game=ID or ?subject=ID"));
    return;
  }
  net::post(context_->log_readers, [self = shared_from_this(), target] {
    http::status status = http::status::ok;
    std::string type = "image/svg+xml", body;
    try {
      LogReader reader(self->context_->config.server.db);
      // Each game is named by the experiment of its time, which may not be the config's.
      auto recorded = recorded_experiment(reader);
      auto first = recorded ? *recorded->experiment : self->context_->config.experiment;
      if (auto drawn = collect_timeline(reader, first, target)) {
        body = timeline_svg(*drawn);
      } else {
        status = http::status::not_found;
        type = "application/json";
        body = target.game != kNoGame
                   ? error_body("unknown_game", "no game " + std::to_string(target.game) + " in the log")
                   : error_body("unknown_subject", "no subject " + target.subject + " in the log");
      }
    } catch (const std::exception& error) {
      json_log::line("timeline_failed", {{"error", error.what()}});
      status = http::status::internal_server_error;
      type = "application/json";
      body = error_body(dynamic_cast<const DamagedLog*>(&error) ? "damaged_log" : "log_unreadable", error.what());
    }
    net::post(self->stream_.get_executor(), [self, status, type = std::move(type), body = std::move(body)]() mutable {
      self->respond(status, std::move(type), std::move(body));
    });
  });
}

// A participant's socket: from a page the study allows, while the server has room for it.
void HttpSession::upgrade(http::request<http::string_body>&& request) {
  const ServerSettings& server = context_->config.server;
  keep_alive_ = false;
  if (!origin_allowed(request[http::field::origin], request[http::field::host], server.allowed_origins)) {
    json_log::limited("origin_refused", {{"origin", std::string(request[http::field::origin])}});
    respond(http::status::forbidden, "application/json",
            error_body("origin_not_allowed", "this page's origin may not open a socket here (server.allowed_origins)"));
    return;
  }
  std::string address = address_of(stream_.socket(), request, server);
  ConnectionLimits::Lease seat = context_->limits.open_socket(address);
  if (!seat) {
    json_log::limited("server_full", {{"address", address}});
    respond(http::status::service_unavailable, "application/json",
            error_body("server_full", "too many connections; try again in a moment"));
    return;
  }
  stream_.expires_never();
  auto session = std::make_shared<WsSession>(stream_.release_socket(), context_);
  session->hold(std::move(lease_), std::move(seat));
  session->run(std::move(request));
}

void HttpSession::respond(http::status status, std::string content_type, std::string body,
                          std::initializer_list<std::pair<http::field, std::string>> headers) {
  response_ = std::make_shared<http::response<http::string_body>>(status, 11);
  response_->set(http::field::server, "cohort");
  response_->set(http::field::content_type, content_type);
  for (const auto& [field, value] : headers) response_->set(field, value);
  response_->keep_alive(keep_alive_);
  response_->body() = std::move(body);
  response_->prepare_payload();
  http::async_write(stream_, *response_,
                    beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), response_->keep_alive()));
}

void HttpSession::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  if (ec) return;
  if (!keep_alive) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    return;
  }
  do_read();
}

}  // namespace cohort
