#pragma once
// Reading an OpenAI chat request's messages and their content (a string or
// an array of parts), shared by the translators to other providers' shapes.
#include <switchyard/error.hpp>

#include <boost/json/array.hpp>
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

// How a translator writes each kind of content part in its provider's shape.
struct PartWriter {
  boost::json::value (*text)(std::string_view text);
  boost::json::value (*inline_image)(const DataUrl& image);  // a base64 data URL
  boost::json::value (*image_url)(std::string_view url);     // any other URL
};

// OpenAI message content (a string, null, or an array of text and image_url
// parts) → the provider's parts, written by `w`; other part types are
// skipped; an error for content of another shape or an image data URL that
// is not base64.
result<boost::json::array> convert_parts(const boost::json::value& content, const PartWriter& w);

// Appends `items` to the last turn when it has the same role (both
// Anthropic and Gemini want roles to alternate), else starts a turn
// {"role": role, items_key: items}; nothing for no items.
void append_turn(boost::json::array& turns, std::string_view role, std::string_view items_key, boost::json::array items);

// Walks an OpenAI request's messages in order, the same way for every
// translator: system and developer texts are joined (blank line between) into
// `system`; user, assistant and tool messages go to `visit(role, message,
// content)` (`content` is null when the message has none; a tool message's
// tool_call_id is checked to be a string first). Returns the first error
// `visit` returns, or one for a request without a messages array, a message
// that is not an object, has no role, or a role other than these.
template <class Visit>
result<void> for_each_message(const boost::json::object& request, std::string& system, Visit visit) {
  const auto* msgs = request.if_contains("messages");
  if (!msgs || !msgs->is_array()) return make_error(errc::invalid_request, "'messages' must be an array");
  static const boost::json::value null_content;
  for (const auto& mv : msgs->as_array()) {
    if (!mv.is_object()) return make_error(errc::invalid_request, "each message must be an object");
    const auto& m = mv.as_object();
    const auto* role_v = m.if_contains("role");
    if (!role_v || !role_v->is_string()) return make_error(errc::invalid_request, "each message needs a role");
    const std::string_view role = role_v->as_string();
    const auto* content = m.if_contains("content");
    const auto& c = content ? *content : null_content;
    if (role == "system" || role == "developer") {
      if (!system.empty()) system += "\n\n";
      system += text_of(c);
      continue;
    }
    if (role != "user" && role != "assistant" && role != "tool") {
      return make_error(errc::invalid_request, "unsupported message role '" + std::string(role) + "'");
    }
    if (role == "tool") {
      const auto* id = m.if_contains("tool_call_id");
      if (!id || !id->is_string()) return make_error(errc::invalid_request, "tool messages need a tool_call_id");
    }
    if (auto r = visit(role, m, c); !r) return r;
  }
  return {};
}

// A tool call's "function.arguments" string parsed: an object ({} when empty), or an error.
result<boost::json::object> tool_call_arguments(const boost::json::object& function);

// Calls `visit(id, name, arguments)` for each tool call of an assistant
// message, arguments parsed; an error for a call without an id, a function
// name or with arguments that are not a JSON object, or what `visit` returns.
template <class Visit>
result<void> for_each_tool_call(const boost::json::object& message, Visit visit) {
  const auto* calls = message.if_contains("tool_calls");
  if (!calls || !calls->is_array()) return {};
  for (const auto& c : calls->as_array()) {
    const auto* call = c.if_object();
    const auto* id = call ? call->if_contains("id") : nullptr;
    const auto* fn = call ? call->if_contains("function") : nullptr;
    const auto* name = fn && fn->is_object() ? fn->as_object().if_contains("name") : nullptr;
    if (!id || !id->is_string() || !name || !name->is_string()) {
      return make_error(errc::invalid_request, "each tool call needs an id and a function name");
    }
    auto args = tool_call_arguments(fn->as_object());
    if (!args) return args.error();
    if (auto r = visit(std::string_view(id->as_string()), std::string_view(name->as_string()), std::move(*args)); !r) return r;
  }
  return {};
}

}  // namespace switchyard::providers
