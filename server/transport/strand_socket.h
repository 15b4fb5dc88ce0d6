#pragma once
// The TCP socket every connection runs on, from its accept to its close: the listener makes it,
// the HTTP session reads requests on it, the WebSocket session takes it over at an upgrade.
// Asio only; Beast is included by the sessions' headers (http/http_session.h,
// transport/ws_session.h), which only the sessions' and the listener's .cpp files include.
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

namespace cohort {

namespace net = boost::asio;
using tcp = net::ip::tcp;
// Every connection runs on its own strand, named by type rather than type-erased: with
// `any_io_executor`, copying and querying the executor in each Beast operation cost about 7%
// of the server's CPU while relaying.
using IoStrand = net::strand<net::io_context::executor_type>;
using StrandSocket = net::basic_stream_socket<tcp, IoStrand>;

// How a connection ordinarily ends, not a failure worth a log line: the peer closed it (eof),
// reset it or went away mid-write, or this server closed it under a pending operation.
inline bool ordinary_close(const boost::system::error_code& ec) {
  return ec == net::error::eof || ec == net::error::operation_aborted || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe;
}

}  // namespace cohort
