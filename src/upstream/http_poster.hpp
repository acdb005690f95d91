#pragma once
// POSTs a body to one URL over a small keep-alive pool (plain or TLS, the
// system's CA bundle): the trace exporter's and the alert webhook's way out.
// Each POST is bounded by its timeout; the answer's status, Retry-After and
// (capped) body come back. The URL may hold a secret (a Slack webhook's
// path): errors name the poster, never the URL.
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "upstream/connection_pool.hpp"
#include "upstream/endpoint.hpp"

namespace switchyard::upstream {

struct PostAnswer {
  unsigned status = 0;
  std::string retry_after;  // the header, as sent
  std::string body;         // at most 64 KiB
};

class HttpPoster {
 public:
  // Throws std::invalid_argument for a URL that is not http(s)://host[:port][/path].
  HttpPoster(const boost::asio::any_io_executor& ex, std::string_view url, std::vector<std::pair<std::string, std::string>> headers,
             Millis timeout, std::string name);
  ~HttpPoster();
  boost::asio::awaitable<result<PostAnswer>> post(std::string_view body, std::string_view content_type = "application/json");
  void close() noexcept;

 private:
  std::string name_;
  Millis timeout_;
  Endpoint endpoint_;
  std::string head_;  // request line and fixed headers
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace switchyard::upstream
