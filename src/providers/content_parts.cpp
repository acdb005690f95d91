#include "providers/content_parts.hpp"

#include <boost/json/object.hpp>

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

}  // namespace switchyard::providers
