#include "projections/sessions_export.h"
#include "projections/state_json.h"
#include "engine/vocabulary/json_text.h"
#include "server/sessions.h"

namespace cohort {
namespace {

// The value of `key` in the request target's query string ("" when absent).
std::string query_param(std::string_view target, std::string_view key) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return "";
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

std::string error_body(std::string_view code, std::string_view message) {
  JsonObject body;
  body.str("code", code).str("message", message);
  return body.text();
}

}  // namespace

HttpSession::HttpSession(tcp::socket&& socket, std::shared_ptr<ServerContext> context)
    : stream_(std::move(socket)), context_(std::move(context)) {}

void HttpSession::run() {
  net::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::do_read, shared_from_this()));
}

void HttpSession::do_read() {
  parser_.emplace();
  parser_->body_limit(64 * 1024);
  stream_.expires_after(std::chrono::seconds(30));
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
      stream_.expires_never();
      std::make_shared<WsSession>(stream_.release_socket(), context_)->run(std::move(request));
      return;
    }
    respond(http::status::bad_request, "application/json",
            error_body("transport_unsupported", "only transport=websocket with EIO=4 is served"));
    return;
  }
  if (request.method() != http::verb::get) {
    respond(http::status::method_not_allowed, "application/json", error_body("method_not_allowed", "GET only"));
    return;
  }
  if (path == "/healthz") {
    JsonObject body;
    body.str("status", "ok").num("last_seq", context_->writer->last_committed());
    respond(http::status::ok, "application/json", body.text());
    return;
  }
  bool admin = path.starts_with("/admin/");
  if (admin && request[http::field::authorization] != "Bearer " + context_->admin_token) {
    respond(http::status::unauthorized, "application/json",
            error_body("unauthorized", "send Authorization: Bearer <admin_token>"));
    return;
  }
  // Everything else reads the engine's projections on the engine thread.
  std::function<std::pair<std::string, std::string>(const Engine&)> read;
  if (path == "/metrics") {
    read = [context = context_](const Engine& engine) {
      context->metrics.state(engine.state());
      return std::pair<std::string, std::string>("text/plain; version=0.0.4", context->metrics.text());
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
          sessions_export(engine.projections().analytics, *engine.state().experiment,
                          jsonl ? ExportFormat::jsonl : ExportFormat::csv));
    };
  } else {
    respond(http::status::not_found, "application/json", error_body("not_found", "no such path"));
    return;
  }
  context_->pipeline->query([self = shared_from_this(), read = std::move(read)](const Engine& engine) {
    auto [type, body] = read(engine);
    net::post(self->stream_.get_executor(), [self, type = std::move(type), body = std::move(body)]() mutable {
      self->respond(http::status::ok, std::move(type), std::move(body));
    });
  });
}

void HttpSession::respond(http::status status, std::string content_type, std::string body) {
  response_ = std::make_shared<http::response<http::string_body>>(status, 11);
  response_->set(http::field::server, "cohort");
  response_->set(http::field::content_type, content_type);
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
