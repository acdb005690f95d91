#include "server/endpoints.hpp"

namespace switchyard::server {

const EndpointSpec* EndpointTable::find(std::string_view path, boost::beast::http::verb method) const noexcept {
  // The path's line for the method; else any line of the path (its method answers 405).
  const EndpointSpec* any = nullptr;
  for (const auto& s : specs_) {
    if (s.prefix || s.path != path) continue;
    if (method_allowed(s, method)) return &s;
    if (!any) any = &s;
  }
  if (any) return any;
  for (const auto& s : specs_) {
    if (!s.prefix || path.size() <= s.path.size() || !path.starts_with(s.path)) continue;
    if (method_allowed(s, method)) return &s;
    if (!any) any = &s;
  }
  return any;
}

bool EndpointTable::method_allowed(const EndpointSpec& spec, boost::beast::http::verb method) noexcept {
  using boost::beast::http::verb;
  return method == spec.method || (spec.method == verb::get && method == verb::head);
}

}  // namespace switchyard::server
