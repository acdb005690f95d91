#include "cache/cached_entry_codec.hpp"

#include <boost/json.hpp>

namespace switchyard::cache {

namespace json = boost::json;

namespace {
constexpr std::int64_t kVersion = 1;

std::optional<std::int64_t> int_of(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (!v || !v->is_int64()) return std::nullopt;
  return v->as_int64();
}

std::optional<std::string> text_of(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}
}  // namespace

std::string encode_entry(const CachedEntry& e) {
  json::array chunks;
  chunks.reserve(e.chunks.size());
  for (const auto& c : e.chunks) chunks.emplace_back(c);
  json::array usage_only;
  for (const auto i : e.marks.usage_only) usage_only.emplace_back(static_cast<std::int64_t>(i));
  return json::serialize(json::object{
      {"v", kVersion},
      {"body", e.body},
      {"chunks", std::move(chunks)},
      {"native", e.native},
      {"usage_only", std::move(usage_only)},
      {"carries_usage", e.marks.carries_usage},
      {"usage", json::object{{"prompt", e.usage.prompt_tokens},
                             {"completion", e.usage.completion_tokens},
                             {"cached", e.usage.cached_tokens},
                             {"cache_write", e.usage.cache_write_tokens},
                             {"reasoning", e.usage.reasoning_tokens},
                             {"reported", e.usage.reported}}},
      {"cost_usd", e.cost_usd},
      {"provider", e.provider},
      {"model", e.model},
      {"stored_ms", e.stored_ms},
      {"ttl_ms", e.ttl_ms},
  });
}

std::optional<CachedEntry> decode_entry(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  if (int_of(o, "v") != kVersion) return std::nullopt;
  CachedEntry e;
  auto body = text_of(o, "body");
  auto provider = text_of(o, "provider");
  auto model = text_of(o, "model");
  auto stored = int_of(o, "stored_ms");
  auto ttl = int_of(o, "ttl_ms");
  const auto* chunks = o.if_contains("chunks");
  const auto* usage_only = o.if_contains("usage_only");
  const auto* usage = o.if_contains("usage");
  const auto* native = o.if_contains("native");
  const auto* carries = o.if_contains("carries_usage");
  const auto* cost = o.if_contains("cost_usd");
  if (!body || !provider || !model || !stored || !ttl || *ttl <= 0 || !chunks || !chunks->is_array() || !usage_only ||
      !usage_only->is_array() || !usage || !usage->is_object() || !native || !native->is_bool() || !carries || !carries->is_bool() ||
      !cost || !cost->is_number()) {
    return std::nullopt;
  }
  if (body->empty() && chunks->as_array().empty()) return std::nullopt;  // nothing to answer with
  e.body = std::move(*body);
  for (const auto& c : chunks->as_array()) {
    if (!c.is_string()) return std::nullopt;
    e.chunks.emplace_back(c.as_string());
  }
  for (const auto& i : usage_only->as_array()) {
    if (!i.is_int64() || i.as_int64() < 0 || static_cast<std::size_t>(i.as_int64()) >= e.chunks.size()) return std::nullopt;
    e.marks.usage_only.push_back(static_cast<std::size_t>(i.as_int64()));
  }
  e.marks.carries_usage = carries->as_bool();
  const auto& u = usage->as_object();
  std::int64_t* fields[] = {&e.usage.prompt_tokens, &e.usage.completion_tokens, &e.usage.cached_tokens, &e.usage.cache_write_tokens,
                            &e.usage.reasoning_tokens};
  const char* names[] = {"prompt", "completion", "cached", "cache_write", "reasoning"};
  for (std::size_t i = 0; i < 5; ++i) {
    auto n = int_of(u, names[i]);
    if (!n) return std::nullopt;
    *fields[i] = *n;
  }
  if (const auto* r = u.if_contains("reported"); r && r->is_bool()) e.usage.reported = r->as_bool();
  e.native = native->as_bool();
  e.cost_usd = cost->to_number<double>();
  e.provider = std::move(*provider);
  e.model = std::move(*model);
  e.stored_ms = *stored;
  e.ttl_ms = *ttl;
  return e;
}


}  // namespace switchyard::cache
