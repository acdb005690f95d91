#include "pipeline/end_user.hpp"

namespace switchyard::pipeline {

namespace {
std::string_view string_field(const boost::json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}
}  // namespace

result<std::string> end_user_of(std::string_view declared, const boost::json::object& body) {
  std::string_view user = declared;
  if (user.empty()) user = string_field(body, "user");
  if (user.empty()) user = string_field(body, "safety_identifier");
  if (user.empty()) {
    if (const auto* meta = body.if_contains("metadata"); meta && meta->is_object()) user = string_field(meta->as_object(), "user_id");
  }
  if (user.size() > kMaxEndUser) {
    return make_error(errc::invalid_request, "the end user's name (user, safety_identifier, metadata.user_id or x-switchyard-user) is over " +
                                                 std::to_string(kMaxEndUser) + " bytes");
  }
  for (const char c : user) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return make_error(errc::invalid_request, "the end user's name holds a control character");
    }
  }
  return std::string(user);
}

}  // namespace switchyard::pipeline
