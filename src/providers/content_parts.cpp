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

result<boost::json::array> convert_parts(const boost::json::value& content, const PartWriter& w) {
  boost::json::array out;
  if (content.is_null()) return out;
  if (content.is_string()) {
    if (!content.as_string().empty()) out.push_back(w.text(content.as_string()));
    return out;
  }
  if (!content.is_array()) return make_error(errc::invalid_request, "message content must be a string or an array of parts");
  for (const auto& part : content.as_array()) {
    if (!part.is_object()) return make_error(errc::invalid_request, "content parts must be objects");
    const auto& p = part.as_object();
    const auto* type = p.if_contains("type");
    if (!type || !type->is_string()) return make_error(errc::invalid_request, "content part without a type");
    if (type->as_string() == "text") {
      const auto* text = p.if_contains("text");
      if (text && text->is_string()) out.push_back(w.text(text->as_string()));
    } else if (type->as_string() == "image_url") {
      const auto* url = image_url_of(p);
      if (!url) return make_error(errc::invalid_request, "image_url part without a url");
      const std::string_view u = url->as_string();
      if (auto data = parse_data_url(u)) out.push_back(w.inline_image(*data));
      else if (u.substr(0, 5) == "data:") return make_error(errc::invalid_request, "image data URLs must be base64");
      else out.push_back(w.image_url(u));
    }
  }
  return out;
}

void append_turn(boost::json::array& turns, std::string_view role, std::string_view items_key, boost::json::array items) {
  if (items.empty()) return;
  if (!turns.empty() && turns.back().as_object().at("role").as_string() == role) {
    auto& existing = turns.back().as_object()[items_key].as_array();
    for (auto& item : items) existing.push_back(std::move(item));
    return;
  }
  turns.push_back(boost::json::object{{"role", role}, {items_key, std::move(items)}});
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
