#include "providers/anthropic_passthrough.hpp"

#include <boost/json/parse.hpp>

#include "providers/anthropic_translator.hpp"

namespace switchyard::providers {

namespace json = boost::json;

namespace {

std::int64_t int_or(const json::object& o, std::string_view key, std::int64_t fallback) {
  const auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : fallback;
}

}  // namespace


Usage anthropic_message_usage(std::string_view body) {
  Usage u;
  boost::system::error_code ec;
  const auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return u;
  const auto* usage = v.as_object().if_contains("usage");
  if (!usage || !usage->is_object()) return u;
  read_prompt_usage(usage->as_object(), u);
  u.completion_tokens = int_or(usage->as_object(), "output_tokens", 0);
  u.reported = true;
  return u;
}

result<void> AnthropicEvents::read(std::string_view event, std::string_view data, Usage& usage, bool& finished) const {
  // Only the events that carry usage, an error or the end are parsed; deltas are counted.
  if (event == "content_block_delta") {
    if (!usage.reported) ++usage.completion_tokens;  // about a token each, until the provider's count
  } else if (event == "message_start" || event == "message_delta" || event == "error") {
    boost::system::error_code ec;
    const auto v = json::parse(data, ec);
    if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "sent an unparsable stream event");
    const auto& e = v.as_object();
    if (event == "error") return anthropic_stream_error(e);
    if (event == "message_start") {
      const auto* msg = e.if_contains("message");
      const auto* u = msg && msg->is_object() ? msg->as_object().if_contains("usage") : nullptr;
      if (u && u->is_object()) read_prompt_usage(u->as_object(), usage);
    } else if (const auto* u = e.if_contains("usage"); u && u->is_object()) {
      // message_delta: the output count (cumulative); newer answers repeat the prompt side there too.
      const auto& uo = u->as_object();
      usage.completion_tokens = int_or(uo, "output_tokens", usage.completion_tokens);
      if (uo.contains("input_tokens")) read_prompt_usage(uo, usage);
      usage.reported = true;
    }
  } else if (event == "message_stop") {
    finished = true;
  }
  return {};
}

}  // namespace switchyard::providers
