#include "server/endpoints.hpp"

namespace switchyard::server {

const EndpointSpec* EndpointTable::find(std::string_view path) const noexcept {
  for (const auto& s : specs_) {
    if (s.path == path) return &s;
  }
  for (const auto& s : specs_) {
    if (s.prefix && path.size() > s.path.size() && path.starts_with(s.path)) return &s;
  }
  return nullptr;
}

bool EndpointTable::method_allowed(const EndpointSpec& spec, boost::beast::http::verb method) noexcept {
  using boost::beast::http::verb;
  return method == spec.method || (spec.method == verb::get && method == verb::head);
}

}  // namespace switchyard::server
