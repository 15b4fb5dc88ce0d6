#include "server/http/http_session.h"

#include <boost/asio/post.hpp>

#include "engine/vocabulary/json_text.h"
#include "history/timeline.h"
#include "history/timeline_svg.h"
#include "projections/sessions_export.h"
#include "projections/state_json.h"
#include "server/http/admin_actions.h"
#include "server/http/admin_auth.h"
#include "server/http/dashboard_assets.h"
#include "server/http/sse_stream.h"
#include "server/http/static_files.h"
#include "server/http/url_text.h"
#include "server/json_log.h"
#include "server/transport/client_address.h"
#include "server/transport/origin_policy.h"
#include "server/transport/ws_session.h"
#include "store/checked_scan.h"
#include "store/recorded_experiment.h"

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
std::string address_of(const StrandSocket& socket, const HttpSession::Request& request, const ServerSettings& server) {
  beast::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  return client_address(ec ? "" : peer.address().to_string(), request["X-Forwarded-For"], server.trusted_proxies);
}

std::string query_param_of(const HttpSession::Request& request, std::string_view key) {
  return query_param(std::string(request.target()), key);
}

std::string try_again_in(std::chrono::seconds wait) {
  return "Too many wrong tokens from this address; try again in " + std::to_string(wait.count()) + " s.";
}

bool is_admin_path(std::string_view path) { return path == "/admin" || path.starts_with("/admin/"); }

// A game id as the dashboard sends it: digits only.
std::optional<GameId> parse_game_id(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoll(text);
}

struct Answer {
  http::status status = http::status::ok;
  std::string content_type;
  std::string body;
};

// GET /admin/timeline: ?game=ID or ?subject=ID (nullopt: the answer is a 400 in `refusal`).
std::optional<TraceTarget> timeline_target(const HttpSession::Request& request, Answer& refusal) {
  std::string game = query_param_of(request, "game"), subject = query_param_of(request, "subject");
  TraceTarget target;
  if (!game.empty()) {
    auto id = parse_game_id(game);
    if (!id) {
      refusal = {http::status::bad_request, "application/json", error_body("bad_request", "game is a game id (digits)")};
      return std::nullopt;
    }
    target.game = *id;
  } else if (!subject.empty()) {
    target.subject = subject;
  } else {
    refusal = {http::status::bad_request, "application/json",
               error_body("bad_request", "timeline needs ?game=ID or ?subject=ID")};
    return std::nullopt;
  }
  return target;
}

// Reads the log file itself: the SVG of `target`'s timeline, or why there is none.
Answer draw_timeline(const ServerContext& context, const TraceTarget& target) {
  try {
    LogReader reader(context.config.server.db);
    // Each game is named by the experiment of its time, which may not be the config's.
    auto recorded = recorded_experiment(reader);
    auto first = recorded ? *recorded->experiment : context.config.experiment;
    if (auto drawn = collect_timeline(reader, first, target)) return {http::status::ok, "image/svg+xml", timeline_svg(*drawn)};
    return {http::status::not_found, "application/json",
            target.game != kNoGame ? error_body("unknown_game", "no game " + std::to_string(target.game) + " in the log")
                                   : error_body("unknown_subject", "no subject " + target.subject + " in the log")};
  } catch (const std::exception& error) {
    json_log::line("timeline_failed", {{"error", error.what()}});
    return {http::status::internal_server_error, "application/json",
            error_body(dynamic_cast<const DamagedLog*>(&error) ? "damaged_log" : "log_unreadable", error.what())};
  }
}

std::pair<std::string, std::string> audit_json(const Engine& engine) {
  const auto& violations = engine.projections().audit.violations();
  std::string items;
  for (const auto& v : violations) {
    JsonObject item;
    item.num("seq", v.seq).num("invariant", v.invariant).str("detail", v.detail);
    items += (items.empty() ? "" : ",") + item.text();
  }
  JsonObject body;
  body.boolean("ok", violations.empty()).raw("violations", "[" + items + "]");
  return {"application/json", body.text()};
}

}  // namespace

struct HttpSession::Route {
  // Who may call it: anyone, or only a request admitted to /admin/*.
  enum class Access { anyone, admin };
  std::optional<http::verb> method;  // nullopt: any method
  std::string_view path;
  Access access;
  Handler handler;
};

const HttpSession::Route* HttpSession::route_for(http::verb method, std::string_view path) {
  using enum Route::Access;
  static const Route kRoutes[] = {
      {std::nullopt, "/socket.io/", anyone, &HttpSession::open_socket},
      {std::nullopt, "/socket.io", anyone, &HttpSession::open_socket},
      {http::verb::post, "/admin/login", anyone, &HttpSession::login},
      {http::verb::get, "/healthz", anyone, &HttpSession::health},
      {http::verb::get, "/metrics", anyone, &HttpSession::metrics},
      {http::verb::get, "/admin", anyone, &HttpSession::redirect_to_dashboard},
      {http::verb::get, "/admin/", admin, &HttpSession::dashboard_file},
      {http::verb::get, "/admin/app.js", admin, &HttpSession::dashboard_file},
      {http::verb::get, "/admin/style.css", admin, &HttpSession::dashboard_file},
      {http::verb::get, "/admin/events", admin, &HttpSession::dashboard_events},
      {http::verb::get, "/admin/dashboard", admin, &HttpSession::dashboard_figures},
      {http::verb::get, "/admin/timeline", admin, &HttpSession::timeline},
      {http::verb::get, "/admin/state", admin, &HttpSession::state},
      {http::verb::get, "/admin/audit", admin, &HttpSession::audit},
      {http::verb::get, "/admin/export/sessions", admin, &HttpSession::export_sessions},
  };
  // Every POST under /admin/actions/ goes to admin_action, which names the actions there are.
  static const Route kAction{http::verb::post, "/admin/actions/", admin, &HttpSession::admin_action};
  if (method == http::verb::post && is_admin_action(path)) return &kAction;
  for (const Route& route : kRoutes) {
    if (route.path == path && (!route.method || *route.method == method)) return &route;
  }
  return nullptr;
}

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
    // A connection left idle past the timeout, with no next request begun, ends as if its peer
    // had closed it: only a request that began and did not arrive in time is a failure.
    bool idle = ec == beast::error::timeout && !parser_->got_some();
    if (!idle) fail(ec, "read");
    shutdown();
    return;
  }
  handle(parser_->release());
}

// What the route table does not name is refused in this order: a method other than GET (405),
// then an /admin path without admission (401 or 429, so that an unknown admin path tells a
// stranger nothing), then 404; with server.static_dir, a GET outside /admin goes to the
// directory instead of the 404.
void HttpSession::handle(Request&& request) {
  keep_alive_ = request.keep_alive();
  std::string target(request.target());
  std::string_view path = path_of(target);
  const Route* route = route_for(request.method(), path);
  if (!route && request.method() != http::verb::get) {
    respond(http::status::method_not_allowed, "application/json",
            error_body("method_not_allowed", "GET only, but for the sign-in and /admin/actions/*"));
    return;
  }
  bool admin_only = route ? route->access == Route::Access::admin : is_admin_path(path);
  if (admin_only && !admitted(request, path)) return;
  if (!route && !admin_only && !context_->config.server.static_dir.empty()) {
    serve_static_file(request);
    return;
  }
  if (!route) {
    respond(http::status::not_found, "application/json", error_body("not_found", "no such path"));
    return;
  }
  (this->*route->handler)(std::move(request));
}

bool HttpSession::admitted(const Request& request, std::string_view path) {
  std::string address = address_of(stream_.socket(), request, context_->config.server);
  auto verdict = context_->admin.request(request[http::field::authorization], request[http::field::cookie], address,
                                         AdminAccess::Clock::now());
  admission_ = verdict;
  bool page = path == "/admin" || path == "/admin/";
  if (verdict.kind == AdminAccess::Verdict::Kind::throttled) {
    json_log::limited("admin_throttled", {{"address", address}, {"path", std::string(path)}});
    std::pair<http::field, std::string> retry{http::field::retry_after, std::to_string(verdict.retry_after.count())};
    if (page) {
      respond_admin_page(http::status::too_many_requests, login_page(try_again_in(verdict.retry_after)), {retry});
    } else {
      respond(http::status::too_many_requests, "application/json",
              error_body("too_many_attempts", try_again_in(verdict.retry_after)), {retry});
    }
    return false;
  }
  if (verdict.kind == AdminAccess::Verdict::Kind::unauthorized) {
    if (page) {
      respond_admin_page(http::status::unauthorized, login_page(""));
    } else {
      respond(http::status::unauthorized, "application/json",
              error_body("unauthorized", "send Authorization: Bearer <admin_token>, or sign in at /admin/"));
    }
    return false;
  }
  return true;
}

// /socket.io/: a participant's socket, over WebSocket only.
void HttpSession::open_socket(Request&& request) {
  std::string target(request.target());
  if (query_param(target, "transport") == "websocket" && websocket::is_upgrade(request) &&
      query_param(target, "EIO") == "4") {
    upgrade(std::move(request));
    return;
  }
  respond(http::status::bad_request, "application/json",
          error_body("transport_unsupported", "only transport=websocket with EIO=4 is served"));
}

// A participant's socket: from a page the study allows, while the server has room for it.
void HttpSession::upgrade(Request&& request) {
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

// POST /admin/login: the sign-in form.
void HttpSession::login(Request&& request) {
  std::string address = address_of(stream_.socket(), request, context_->config.server);
  auto token = form_field(request.body(), "token");
  auto verdict = context_->admin.login(token ? std::optional<std::string_view>(*token) : std::nullopt, address,
                                       AdminAccess::Clock::now());
  switch (verdict.kind) {
    case AdminAccess::Verdict::Kind::throttled:
      json_log::limited("admin_login_throttled", {{"address", address}});
      respond_admin_page(http::status::too_many_requests, login_page(try_again_in(verdict.retry_after)),
                         {{http::field::retry_after, std::to_string(verdict.retry_after.count())}});
      return;
    case AdminAccess::Verdict::Kind::unauthorized:
      json_log::limited("admin_login_refused", {{"address", address}});
      respond_admin_page(http::status::unauthorized, login_page("That is not this server's admin token."));
      return;
    case AdminAccess::Verdict::Kind::allowed:
      respond(http::status::see_other, "text/plain", "",
              {{http::field::location, "./"}, {http::field::set_cookie, verdict.set_cookie}});
      return;
  }
}

void HttpSession::health(Request&&) {
  JsonObject body;
  body.str("status", "ok").num("last_seq", context_->core.writer().last_committed());
  respond(http::status::ok, "application/json", body.text());
}

void HttpSession::metrics(Request&&) {
  answer_from_engine([context = context_](const Engine& engine) {
    context->core.metrics().state(engine.state());
    return std::pair<std::string, std::string>("text/plain; version=0.0.4", context->core.metrics().text());
  });
}

// Every location and link of the dashboard is relative: behind a proxy that routes experiments
// by path (deploy/cohort-experiment.caddy), /admin is /e/<name>/admin to the browser, and the
// server is not told the prefix. Anyone may follow this one: it leads to the sign-in page.
void HttpSession::redirect_to_dashboard(Request&&) {
  respond(http::status::moved_permanently, "text/plain", "", {{http::field::location, "admin/"}});
}

void HttpSession::dashboard_file(Request&& request) {
  std::string target(request.target());
  std::string_view path = path_of(target);
  if (path == "/admin/") {
    // The page carries its session's CSRF token, which its actions send back (admin_action); it
    // is not kept by any cache.
    std::string page(dashboard_asset("index.html")->body);
    page.replace(page.find("<!--csrf-->"), 11, "<meta name=\"cohort-csrf\" content=\"" + admission_.csrf_token + "\">");
    respond_admin_page(http::status::ok, std::move(page), {{http::field::cache_control, "no-store"}});
    return;
  }
  auto asset = dashboard_asset(path.substr(7));
  respond(http::status::ok, std::string(asset->content_type), std::string(asset->body),
          {{http::field::cache_control, "no-cache"}});
}

// server.static_dir: the study's page for /<subject_id>, or a file. Read here, on the connection's
// thread: a page and its scripts are small and, once read, in the page cache.
void HttpSession::serve_static_file(const Request& request) {
  StaticAnswer answer = serve_static(context_->config.server.static_dir, request.target());
  prepare_response(static_cast<http::status>(answer.status), std::move(answer.content_type), std::move(answer.body),
                   {{http::field::cache_control, "no-cache"}});
  // A file is what its extension says, never what a browser might sniff in it.
  response_->set("X-Content-Type-Options", "nosniff");
  write_response();
}

// The dashboard's live feed: the connection becomes a server-sent-events stream.
void HttpSession::dashboard_events(Request&&) {
  auto stream = std::make_shared<SseStream>(tcp::socket(stream_.release_socket()));
  stream->start();
  context_->dashboard->subscribe(std::move(stream));
}

void HttpSession::dashboard_figures(Request&&) {
  context_->dashboard->build([self = shared_from_this()](std::string json) {
    net::post(self->stream_.get_executor(), [self, json = std::move(json)]() mutable {
      self->respond(http::status::ok, "application/json", std::move(json));
    });
  });
}

// Scans the log file on the log readers' thread; the answer comes back to this connection.
void HttpSession::timeline(Request&& request) {
  Answer refusal;
  auto wanted = timeline_target(request, refusal);
  if (!wanted) {
    respond(refusal.status, std::move(refusal.content_type), std::move(refusal.body));
    return;
  }
  net::post(context_->log_readers, [self = shared_from_this(), target = *wanted] {
    Answer answer = draw_timeline(*self->context_, target);
    net::post(self->stream_.get_executor(), [self, answer = std::move(answer)]() mutable {
      self->respond(answer.status, std::move(answer.content_type), std::move(answer.body));
    });
  });
}

void HttpSession::state(Request&&) {
  answer_from_engine([](const Engine& engine) {
    return std::pair<std::string, std::string>("application/json", state_json(engine.state(), engine.projections().last_seq));
  });
}

void HttpSession::audit(Request&&) { answer_from_engine(audit_json); }

void HttpSession::export_sessions(Request&& request) {
  std::string format = query_param_of(request, "format");
  if (format != "" && format != "csv" && format != "jsonl") {
    respond(http::status::bad_request, "application/json", error_body("bad_format", "format is csv or jsonl"));
    return;
  }
  bool jsonl = format == "jsonl";
  answer_from_engine([jsonl](const Engine& engine) {
    return std::pair<std::string, std::string>(
        jsonl ? "application/x-ndjson" : "text/csv; charset=utf-8",
        sessions_export(engine.projections().analytics, jsonl ? ExportFormat::jsonl : ExportFormat::csv));
  });
}

// POST /admin/actions/*: a researcher's control of the study. A browser's request must pass the
// CSRF check; the command goes to the engine, and the answer waits for its commit (DESIGN.md
// rule 4). Each one, done or refused, is a log line, with no token or cookie in it.
void HttpSession::admin_action(Request&& request) {
  std::string target(request.target());
  std::string path(path_of(target));
  std::string address = address_of(stream_.socket(), request, context_->config.server);
  auto log_line = [path, address, by = admission_.by_cookie() ? "dashboard" : "bearer"](
                      const ActionAnswer& answer, const std::string& what, Seq seq) {
    json_log::line("admin_action", {{"action", path.substr(path.rfind('/') + 1)},
                                    {"target", what},
                                    {"by", by},
                                    {"address", address},
                                    {"status", std::to_string(answer.status)},
                                    {"code", answer.code},
                                    {"seq", std::to_string(seq)}});
  };
  auto answer_now = [this, &log_line](const ActionAnswer& answer, const std::string& what) {
    log_line(answer, what, 0);
    respond(static_cast<http::status>(answer.status), "application/json", answer.body);
  };
  if (auto why = csrf_refusal(admission_, request["X-Cohort-CSRF"], request[http::field::origin],
                              request[http::field::host])) {
    answer_now({403, error_body("csrf_refused", *why), "csrf_refused"}, "");
    return;
  }
  auto parsed = admin_action_command(path, request.body(), address);
  if (auto* refused = std::get_if<ActionAnswer>(&parsed)) {
    answer_now(*refused, "");
    return;
  }
  ActionCommand& action = std::get<ActionCommand>(parsed);
  bool queued = context_->core.pipeline().submit(
      std::move(action.command), [self = shared_from_this(), log_line, what = action.target](CommandOutcome outcome) {
        ActionAnswer answer = admin_action_answer(outcome);
        log_line(answer, what, answer.status == 200 ? outcome.seq : 0);
        net::post(self->stream_.get_executor(), [self, answer = std::move(answer)]() mutable {
          self->respond(static_cast<http::status>(answer.status), "application/json", std::move(answer.body));
        });
      });
  if (!queued) answer_now({503, error_body("unavailable", "the server is stopping"), "unavailable"}, action.target);
}

void HttpSession::answer_from_engine(EngineRead read) {
  context_->core.pipeline().query([self = shared_from_this(), read = std::move(read)](const Engine& engine) {
    auto [type, body] = read(engine);
    net::post(self->stream_.get_executor(), [self, type = std::move(type), body = std::move(body)]() mutable {
      self->respond(http::status::ok, std::move(type), std::move(body));
    });
  });
}

void HttpSession::respond(http::status status, std::string content_type, std::string body,
                          std::initializer_list<std::pair<http::field, std::string>> headers) {
  prepare_response(status, std::move(content_type), std::move(body), headers);
  write_response();
}

// The sign-in form and the dashboard: no other site's page may frame them, so that none can lay
// its own page over the dashboard's buttons and have the researcher click them (clickjacking:
// the CSRF token does not help there, the click is the researcher's own). SameSite=Strict keeps
// the cookie out of another site's frame in today's browsers; this does not depend on it.
void HttpSession::respond_admin_page(http::status status, std::string page,
                                     std::initializer_list<std::pair<http::field, std::string>> headers) {
  prepare_response(status, "text/html; charset=utf-8", std::move(page), headers);
  response_->set("X-Frame-Options", "DENY");
  response_->set("Content-Security-Policy", "frame-ancestors 'none'");
  write_response();
}

void HttpSession::prepare_response(http::status status, std::string content_type, std::string body,
                                   std::initializer_list<std::pair<http::field, std::string>> headers) {
  response_ = std::make_shared<http::response<http::string_body>>(status, 11);
  response_->set(http::field::server, "cohort");
  response_->set(http::field::content_type, content_type);
  for (const auto& [field, value] : headers) response_->set(field, value);
  response_->keep_alive(keep_alive_);
  response_->body() = std::move(body);
  response_->prepare_payload();
}

void HttpSession::write_response() {
  // The read's deadline counted from the request's start; the answer gets its own, so that one
  // that waited for its commit (an admin action) or a long scan (a timeline) is still written,
  // and a peer that does not read it is cut off all the same.
  stream_.expires_after(std::chrono::milliseconds(context_->config.server.request_timeout_ms));
  http::async_write(stream_, *response_,
                    beast::bind_front_handler(&HttpSession::on_write, shared_from_this(), response_->keep_alive()));
}

void HttpSession::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  if (ec) {
    fail(ec, "write");
    return;
  }
  if (!keep_alive) {
    shutdown();
    return;
  }
  do_read();
}

// The one way this session reports an error: a rate-limited log line with no request text in it
// (a request may carry a token or a cookie). A peer that closed between requests is no error.
void HttpSession::fail(beast::error_code ec, std::string_view what) {
  if (ordinary_close(ec) || ec == http::error::end_of_stream) return;
  json_log::limited("http_failed", {{"what", std::string(what)}, {"error", ec.message()}});
}

void HttpSession::shutdown() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace cohort
