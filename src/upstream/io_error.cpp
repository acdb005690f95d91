#include "upstream/io_error.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

namespace switchyard::upstream {

Error io_error(const boost::system::error_code& ec, std::string_view phase, const std::string& provider) {
  namespace asio = boost::asio;
  errc code = errc::upstream_reset;
  std::string what;
  if (ec == boost::beast::error::timeout) {
    // Which wait ran out: the metrics and the message say so.
    if (phase == "connecting" || phase == "TLS handshake") {
      code = errc::connect_timeout;
    } else if (phase == "reading the response body") {
      code = errc::stall_timeout;
    } else {
      code = errc::header_timeout;
    }
    what = "timed out while " + std::string(phase);
  } else if (ec == asio::error::operation_aborted) {
    code = errc::cancelled;
    what = "cancelled while " + std::string(phase);
  } else if (ec.category() == asio::error::get_ssl_category() || ec.category() == asio::ssl::error::get_stream_category()) {
    code = errc::upstream_tls;
    what = "TLS error while " + std::string(phase) + ": " + ec.message();
  } else if (ec.category() == boost::beast::http::make_error_code(boost::beast::http::error::end_of_stream).category() &&
             ec != boost::beast::http::error::end_of_stream && ec != boost::beast::http::error::partial_message) {
    code = errc::upstream_bad_response;
    what = "invalid HTTP response (" + ec.message() + ")";
  } else if (phase == "connecting") {
    code = errc::upstream_connect;
    what = "could not connect: " + ec.message();
  } else {
    code = errc::upstream_reset;
    what = "connection lost while " + std::string(phase) + " (" + ec.message() + ")";
  }
  return make_error(code, std::move(what), provider);
}

}  // namespace switchyard::upstream
