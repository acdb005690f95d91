#pragma once
// Where an upstream lives, parsed once from a provider's base_url.
#include <switchyard/error.hpp>

#include <string>
#include <string_view>

namespace switchyard::upstream {

struct Endpoint {
  bool tls = false;
  std::string host;         // without brackets for IPv6
  std::string port;         // always set ("443", "80" or explicit)
  std::string host_header;  // Host header value: host[:port] when not the default
  std::string path_prefix;  // e.g. "/v1" (no trailing slash, may be empty)

  std::string key() const { return (tls ? "https://" : "http://") + host + ":" + port; }
};

result<Endpoint> parse_endpoint(std::string_view base_url);

}  // namespace switchyard::upstream
