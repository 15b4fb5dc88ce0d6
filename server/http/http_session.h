#pragma once
// One HTTP connection: the admin endpoints, the dashboard, /healthz and /metrics, and the upgrade
// of a participant's socket to a WsSession. Beast: included only by http_session.cpp and the
// listener that makes one per accepted connection (listener.cpp).
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "server/http/admin_auth.h"
#include "server/server_context.h"
#include "server/transport/strand_socket.h"

namespace cohort {

namespace beast = boost::beast;
namespace http = beast::http;

class Engine;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  using Request = http::request<http::string_body>;

  HttpSession(StrandSocket&& socket, std::shared_ptr<ServerContext> context, ConnectionLimits::Lease lease);
  void run();

 private:
  // What answers one method and path; the table is in route_for (http_session.cpp).
  using Handler = void (HttpSession::*)(Request&& request);
  struct Route;
  static const Route* route_for(http::verb method, std::string_view path);

  void do_read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void handle(Request&& request);
  // /admin/*: false when the request was answered 401 or 429 instead; else `admission_` says how
  // the request was let in.
  bool admitted(const Request& request, std::string_view path);

  // The routes' handlers.
  void open_socket(Request&& request);
  void login(Request&& request);
  void health(Request&& request);
  void metrics(Request&& request);
  void redirect_to_dashboard(Request&& request);
  void dashboard_file(Request&& request);
  void dashboard_events(Request&& request);
  void dashboard_figures(Request&& request);
  void timeline(Request&& request);
  void state(Request&& request);
  void audit(Request&& request);
  void export_sessions(Request&& request);
  void admin_action(Request&& request);
  // Not in the route table: what it does not name, outside /admin, when server.static_dir is set.
  void serve_static_file(const Request& request);

  // open_socket's second step: origin and room checked, the socket goes to a WsSession.
  void upgrade(Request&& request);
  // Answers 200 with what `read` makes of the engine's projections, read on the engine thread.
  using EngineRead = std::function<std::pair<std::string, std::string>(const Engine&)>;  // content type, body
  void answer_from_engine(EngineRead read);
  void respond(http::status status, std::string content_type, std::string body,
               std::initializer_list<std::pair<http::field, std::string>> headers = {});
  // A page under /admin (the sign-in form, the dashboard): text/html that no other site may frame.
  void respond_admin_page(http::status status, std::string page,
                          std::initializer_list<std::pair<http::field, std::string>> headers = {});
  // respond's two steps, for an answer with a header that has no http::field.
  void prepare_response(http::status status, std::string content_type, std::string body,
                        std::initializer_list<std::pair<http::field, std::string>> headers = {});
  void write_response();
  void on_write(bool keep_alive, beast::error_code ec, std::size_t bytes);
  // A read or write failed: reported, unless the peer merely closed the connection.
  void fail(beast::error_code ec, std::string_view what);
  void shutdown();

  beast::basic_stream<tcp, IoStrand> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<ServerContext> context_;
  bool keep_alive_ = false;
  std::shared_ptr<http::response<http::string_body>> response_;
  ConnectionLimits::Lease lease_;  // this TCP connection's place
  AdminAccess::Verdict admission_;  // how the request being answered was let in to /admin/*
};

}  // namespace cohort
