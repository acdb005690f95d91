#include "providers/openai_usage.hpp"

#include <boost/json.hpp>

#include <cstring>

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
  const auto pos = text.rfind(key);
  if (pos == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(pos + key.size());
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n' || rest.front() == '\t' || rest.front() == '\r')) rest.remove_prefix(1);
  if (rest.empty() || rest.front() != '{') return std::nullopt;
  json::parser p;
  boost::system::error_code ec;
  p.write_some(rest.data(), rest.size(), ec);  // stops after the object; an error if it was cut short
  if (ec) return std::nullopt;
  const auto v = p.release();
  return usage_from_openai(v.as_object());
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
