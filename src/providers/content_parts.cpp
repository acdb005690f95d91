#include "providers/content_parts.hpp"

#include <boost/json/parse.hpp>

namespace switchyard::providers {

std::string text_of(const boost::json::value& content) {
  if (content.is_string()) return std::string(content.as_string());
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content.as_array()) {
      const auto* text = part.is_object() ? part.as_object().if_contains("text") : nullptr;
      if (text && text->is_string()) {
        if (!out.empty()) out += "\n";
        out += std::string_view(text->as_string());
      }
    }
  }
  return out;
}

std::optional<DataUrl> parse_data_url(std::string_view u) noexcept {
  if (u.substr(0, 5) != "data:") return std::nullopt;
  const auto semi = u.find(';'), comma = u.find(',');
  if (semi == std::string_view::npos || comma == std::string_view::npos || semi > comma ||
      u.substr(semi, comma - semi) != ";base64") {
    return std::nullopt;
  }
  return DataUrl{u.substr(5, semi - 5), u.substr(comma + 1)};
}

const boost::json::value* image_url_of(const boost::json::object& part) noexcept {
  const auto* iu = part.if_contains("image_url");
  const boost::json::value* url = iu && iu->is_object() ? iu->as_object().if_contains("url") : iu;
  return url && url->is_string() ? url : nullptr;
}

result<boost::json::object> tool_call_arguments(const boost::json::object& function) {
  const auto* args = function.if_contains("arguments");
  if (!args || !args->is_string() || args->as_string().empty()) return boost::json::object{};
  boost::system::error_code ec;
  auto v = boost::json::parse(args->as_string(), ec);
  if (ec || !v.is_object()) return make_error(errc::invalid_request, "tool call arguments must be a JSON object");
  return std::move(v.as_object());
}

}  // namespace switchyard::providers
