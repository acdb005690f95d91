#include "upstream/endpoint.hpp"

#include <boost/url/parse.hpp>

namespace switchyard::upstream {

result<Endpoint> parse_endpoint(std::string_view base_url) {
  auto u = boost::urls::parse_absolute_uri(base_url);
  if (!u) return make_error(errc::internal, "invalid base_url");
  Endpoint ep;
  if (u->scheme() == "https") ep.tls = true;
  else if (u->scheme() != "http") return make_error(errc::internal, "base_url must be http or https");
  ep.host = std::string(u->encoded_host_address());
  if (ep.host.size() > 2 && ep.host.front() == '[') ep.host = ep.host.substr(1, ep.host.size() - 2);
  if (ep.host.empty()) return make_error(errc::internal, "base_url has no host");
  const std::string default_port = ep.tls ? "443" : "80";
  ep.port = u->has_port() && !u->port().empty() ? std::string(u->port()) : default_port;
  ep.host_header = std::string(u->encoded_host_and_port());
  if (ep.port == default_port && u->has_port()) ep.host_header = std::string(u->encoded_host());
  ep.path_prefix = std::string(u->encoded_path());
  while (!ep.path_prefix.empty() && ep.path_prefix.back() == '/') ep.path_prefix.pop_back();
  return ep;
}

}  // namespace switchyard::upstream
