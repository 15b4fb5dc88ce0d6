#include "server/sessions.h"

namespace cohort {
namespace {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(std::shared_ptr<ServerContext> context, const tcp::endpoint& endpoint)
      : context_(std::move(context)), acceptor_(net::make_strand(context_->io)) {
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
    if (!ec) std::make_shared<HttpSession>(std::move(socket), context_)->run();
    accept();  // a failed accept (e.g. too many open files) does not stop the server
  }

  std::shared_ptr<ServerContext> context_;
  tcp::acceptor acceptor_;
};

}  // namespace

unsigned short start_listener(const std::shared_ptr<ServerContext>& context, const std::string& address,
                              unsigned short port) {
  auto listener = std::make_shared<Listener>(context, tcp::endpoint(net::ip::make_address(address), port));
  listener->accept();
  return listener->port();
}

}  // namespace cohort
