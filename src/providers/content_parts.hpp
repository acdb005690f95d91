#pragma once
// Reading an OpenAI chat request's messages and their content (a string or
// an array of parts), shared by the translators to other providers' shapes.
#include <switchyard/error.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace switchyard::providers {

// The text of a message's content: the string itself, or its text parts joined by newlines.
std::string text_of(const boost::json::value& content);

struct DataUrl {
  std::string_view media_type;  // e.g. "image/png"
  std::string_view data;        // base64
};

// "data:image/png;base64,AAAA" → {image/png, AAAA}; nullopt when `url` is not
// a base64 data URL.
std::optional<DataUrl> parse_data_url(std::string_view url) noexcept;

// The URL of an image_url part ({"image_url":{"url":...}} or {"image_url":"..."}), or nullptr.
const boost::json::value* image_url_of(const boost::json::object& part) noexcept;

// Calls `visit(role, message, content)` for each message of an OpenAI request,
// in order (`content` is null when the message has none); returns the first
// error `visit` returns, or one for a request without a messages array, a
// message that is not an object or has no role.
template <class Visit>
result<void> for_each_message(const boost::json::object& request, Visit visit) {
  const auto* msgs = request.if_contains("messages");
  if (!msgs || !msgs->is_array()) return make_error(errc::invalid_request, "'messages' must be an array");
  static const boost::json::value null_content;
  for (const auto& mv : msgs->as_array()) {
    if (!mv.is_object()) return make_error(errc::invalid_request, "each message must be an object");
    const auto& m = mv.as_object();
    const auto* role = m.if_contains("role");
    if (!role || !role->is_string()) return make_error(errc::invalid_request, "each message needs a role");
    const auto* content = m.if_contains("content");
    if (auto r = visit(std::string_view(role->as_string()), m, content ? *content : null_content); !r) return r;
  }
  return {};
}

// A tool call's "function.arguments" string parsed: an object ({} when empty), or an error.
result<boost::json::object> tool_call_arguments(const boost::json::object& function);

}  // namespace switchyard::providers
