#include <boost/asio/steady_timer.hpp>

#include "server/http/http_session.h"
#include "server/json_log.h"

namespace cohort {
namespace {

// Accepts every TCP connection as HTTP, within the connection limits; an HttpSession may then
// hand it over to a WebSocket session.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(std::shared_ptr<ServerContext> context, const tcp::endpoint& endpoint)
      : context_(std::move(context)), acceptor_(net::make_strand(context_->io)), backoff_(acceptor_.get_executor()) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  void accept() {
    acceptor_.async_accept(net::make_strand(context_->io),
                           beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
  }

 private:
  void on_accept(beast::error_code ec, StrandSocket socket) {
    if (context_->stopping) return;
    if (ec) {
      // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS): accepting again at once would
      // fail again at once and spin a core, so wait a little for sockets to close.
      json_log::limited("accept_failed", {{"error", ec.message()}});
      backoff_.expires_after(kAcceptBackoff);
      backoff_.async_wait([self = shared_from_this()](beast::error_code) { self->accept(); });
      return;
    }
    if (auto lease = context_->limits.accept()) {
      // Nagle's algorithm would hold every small frame after the first of a burst (a match is
      // several) until the client's delayed ACK, 40 ms on Linux: a participant feels that.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<HttpSession>(std::move(socket), context_, std::move(lease))->run();
    } else {
      json_log::limited("connection_refused", {{"why", "max_connections reached"}});
      beast::error_code ignored;
      socket.close(ignored);
    }
    accept();
  }

  static constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);
  std::shared_ptr<ServerContext> context_;
  tcp::acceptor acceptor_;
  net::steady_timer backoff_;
};

}  // namespace

unsigned short start_listener(const std::shared_ptr<ServerContext>& context, const std::string& address,
                              unsigned short port) {
  auto listener = std::make_shared<Listener>(context, tcp::endpoint(net::ip::make_address(address), port));
  listener->accept();
  return listener->port();
}

}  // namespace cohort
