#pragma once
// The endpoint table: path → method, who may call it, whether it takes a
// body, the error shape of its API, and its handler. Found from the path
// before any body byte is read; one line per endpoint (HttpServer builds it).
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "pipeline/authenticator.hpp"
#include "server/chat_dialect.hpp"

namespace switchyard::server {

struct RequestContext;

struct EndpointSpec {
  using Handler = std::function<boost::asio::awaitable<void>(RequestContext&)>;
  std::string_view path;
  boost::beast::http::verb method;  // GET endpoints also answer HEAD
  pipeline::Access access;
  bool takes_body = false;          // a POST with a JSON body
  ErrorShape shape = ErrorShape::openai;
  Handler handler;
  bool prefix = false;              // `path` is a prefix (e.g. /v1beta/models/ for /v1beta/models/{model}:{method})
};

class EndpointTable {
 public:
  explicit EndpointTable(std::vector<EndpointSpec> specs) : specs_(std::move(specs)) {}
  // The line for `path` and `method` (a path may have a line per method); else a line of the path.
  const EndpointSpec* find(std::string_view path, boost::beast::http::verb method) const noexcept;
  // The endpoint's method, or HEAD for a GET endpoint.
  static bool method_allowed(const EndpointSpec& spec, boost::beast::http::verb method) noexcept;

 private:
  std::vector<EndpointSpec> specs_;
};

}  // namespace switchyard::server
