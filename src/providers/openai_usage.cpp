#include "providers/openai_usage.hpp"

#include <boost/json.hpp>

#include <charconv>

namespace switchyard::providers {

namespace json = boost::json;

namespace {

std::int64_t int_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return 0;
}

std::int64_t detail(const json::object& o, std::string_view object, std::string_view key) {
  const auto* d = o.if_contains(object);
  return d && d->is_object() ? int_at(d->as_object(), key) : 0;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// The JSON object that `s` starts with (after blanks), up to its matching
// brace (strings and escapes respected); nullopt when it is not an object or is cut short.
std::optional<std::string_view> object_at(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  if (i == s.size() || s[i] != '{') return std::nullopt;
  const std::size_t start = i;
  int depth = 0;
  bool in_string = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return s.substr(start, i - start + 1);
    }
  }
  return std::nullopt;
}

// The integer value of "key" in `object` (0 when absent or not an integer).
std::int64_t integer_field(std::string_view object, std::string_view key) {
  for (auto pos = object.find(key); pos != std::string_view::npos; pos = object.find(key, pos + 1)) {
    if (pos == 0 || object[pos - 1] != '"' || pos + key.size() >= object.size() || object[pos + key.size()] != '"') continue;
    std::size_t i = pos + key.size() + 1;
    while (i < object.size() && is_space(object[i])) ++i;
    if (i == object.size() || object[i] != ':') continue;
    ++i;
    while (i < object.size() && is_space(object[i])) ++i;
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(object.data() + i, object.data() + object.size(), v);
    return ec == std::errc() ? v : 0;
  }
  return 0;
}

}  // namespace

Usage usage_from_openai(const json::object& u) {
  Usage out;
  out.prompt_tokens = int_at(u, "prompt_tokens");
  out.completion_tokens = int_at(u, "completion_tokens");
  out.cached_tokens = detail(u, "prompt_tokens_details", "cached_tokens");
  out.reasoning_tokens = detail(u, "completion_tokens_details", "reasoning_tokens");
  out.reported = true;
  return out;
}

std::optional<Usage> find_openai_usage(std::string_view text) {
  static constexpr std::string_view key = "\"usage\":";
  // rfind: OpenAI writes usage last, so the search from the end is short
  // (measured: cheaper here than Boyer-Moore-Horspool or memmem from the front).
  const auto pos = text.rfind(key);
  if (pos == std::string_view::npos) return std::nullopt;
  const auto span = object_at(text.substr(pos + key.size()));
  if (!span) return std::nullopt;
  // Read on the hot path without building a JSON tree: each key is unique in
  // the usage object ("cached_tokens" and "reasoning_tokens" sit in its details).
  Usage out;
  out.prompt_tokens = integer_field(*span, "prompt_tokens");
  out.completion_tokens = integer_field(*span, "completion_tokens");
  out.cached_tokens = integer_field(*span, "cached_tokens");
  out.reasoning_tokens = integer_field(*span, "reasoning_tokens");
  out.reported = true;
  return out;
}

bool wants_usage(const json::object& request) noexcept {
  const auto* so = request.if_contains("stream_options");
  const auto* iu = so && so->is_object() ? so->as_object().if_contains("include_usage") : nullptr;
  return iu && iu->is_bool() && iu->as_bool();
}

json::object openai_usage_json(const Usage& u) {
  json::object o{{"prompt_tokens", u.prompt_tokens}, {"completion_tokens", u.completion_tokens}, {"total_tokens", u.total()}};
  if (u.cached_tokens > 0) o["prompt_tokens_details"] = json::object{{"cached_tokens", u.cached_tokens}};
  if (u.reasoning_tokens > 0) o["completion_tokens_details"] = json::object{{"reasoning_tokens", u.reasoning_tokens}};
  return o;
}

std::string openai_usage_chunk(std::string_view id, std::string_view model, const Usage& usage) {
  return R"({"id":)" + json::serialize(json::value(id)) + R"(,"object":"chat.completion.chunk","created":0,"model":)" +
         json::serialize(json::value(model)) + R"(,"choices":[],"usage":)" + json::serialize(openai_usage_json(usage)) + "}";
}

}  // namespace switchyard::providers
