#include "routing/attempt_span.hpp"

#include <boost/json/parse.hpp>

#include "error/error_response.hpp"

namespace switchyard::routing {

namespace json = boost::json;
using telemetry::Span;

namespace {
std::string_view operation_of(const AttemptStart& a) noexcept {
  if (a.embeddings) return "embeddings";
  const bool gemini_shape = a.native ? a.native->api == NativeApi::gemini_generate
                                     : a.provider.type == ProviderType::gemini ||
                                           (a.provider.type == ProviderType::vertex && !a.model.starts_with("claude"));
  return gemini_shape ? "generate_content" : "chat";
}

const json::object* parsed(std::string_view text, json::value& holder) {
  boost::system::error_code ec;
  holder = json::parse(text, ec);
  return ec ? nullptr : holder.if_object();
}

}  // namespace

std::size_t begin_attempt_span(telemetry::RequestTrace& trace, const AttemptStart& a) {
  const std::string_view op = operation_of(a);
  std::string name(op);
  name += ' ';
  name += a.model;
  const std::size_t i = trace.begin_attempt(std::move(name), telemetry::wall_now_ns());
  Span& s = trace.attempt(i);
  s.attributes.reserve(12);
  s.set("gen_ai.operation.name", std::string(op));
  s.set("gen_ai.provider.name", std::string(genai_provider_name(a.provider.type)));
  s.set("gen_ai.request.model", std::string(a.model));
  s.set("switchyard.route", std::string(a.route));
  s.set("switchyard.provider", a.provider.name);
  if (!a.server_host.empty()) {
    s.set("server.address", std::string(a.server_host));
    s.set("server.port", a.server_port);
  }
  if (a.stream) s.set("gen_ai.request.stream", true);
  const json::object& body = a.native ? a.native->body : a.body;
  for (const char* k : {"max_tokens", "max_completion_tokens", "max_output_tokens"}) {
    if (const auto* v = body.if_contains(k); v && v->is_int64()) s.set("gen_ai.request.max_tokens", v->as_int64());
  }
  if (const auto* v = body.if_contains("temperature"); v && v->is_number()) s.set("gen_ai.request.temperature", v->to_number<double>());
  if (const auto* v = body.if_contains("top_p"); v && v->is_number()) s.set("gen_ai.request.top_p", v->to_number<double>());
  return i;
}

void usage_attributes(Span& span, const Usage& used) {
  span.set("gen_ai.usage.input_tokens", used.prompt_tokens);
  span.set("gen_ai.usage.output_tokens", used.completion_tokens);
  if (used.cached_tokens > 0) span.set("gen_ai.usage.cache_read.input_tokens", used.cached_tokens);
  if (used.cache_write_tokens > 0) span.set("gen_ai.usage.cache_creation.input_tokens", used.cache_write_tokens);
  if (used.reasoning_tokens > 0) span.set("gen_ai.usage.reasoning.output_tokens", used.reasoning_tokens);
}

namespace {
// The first `"key":"value"` in a JSON text, without parsing it (an escaped quote in a string
// value cannot match: what matches is a key). "" when absent, escaped or over 256 bytes.
std::string_view string_field(std::string_view text, std::string_view key) {
  std::string pattern;
  pattern.reserve(key.size() + 5);
  pattern += '"';
  pattern += key;
  pattern += "\":\"";
  const auto at = text.find(pattern);
  if (at == std::string_view::npos) return {};
  const auto from = at + pattern.size();
  const auto to = text.find('"', from);
  if (to == std::string_view::npos || to - from > 256) return {};
  const auto value = text.substr(from, to - from);
  return value.find('\\') == std::string_view::npos ? value : std::string_view();
}

void field_attr(Span& span, std::string_view attribute, std::string_view text, std::initializer_list<std::string_view> keys) {
  for (auto k : keys) {
    if (auto v = string_field(text, k); !v.empty()) {
      span.set(attribute, std::string(v));
      return;
    }
  }
}
}  // namespace

// Read from the answer's text, not parsed (the hot path when every request is traced): id and
// model (OpenAI, Anthropic, Responses; Gemini's responseId and modelVersion) and the finish reasons.
void answer_attributes(Span& span, const ChatResponse& answer) {
  field_attr(span, "gen_ai.response.id", answer.body, {"id", "responseId"});
  field_attr(span, "gen_ai.response.model", answer.body, {"model", "modelVersion"});
  std::vector<std::string> reasons;
  collect_finish_reasons(answer.body, reasons);
  if (reasons.empty()) {
    if (auto st = string_field(answer.body, "status"); !st.empty()) reasons.emplace_back(st);  // Responses
  }
  if (!reasons.empty()) span.set("gen_ai.response.finish_reasons", std::move(reasons));
  usage_attributes(span, answer.usage);
}

void first_chunk_attributes(Span& span, std::string_view chunk, double ttft_ms) {
  field_attr(span, "gen_ai.response.id", chunk, {"id", "responseId"});
  field_attr(span, "gen_ai.response.model", chunk, {"model", "modelVersion"});
  span.set("gen_ai.response.time_to_first_chunk", ttft_ms / 1000.0);
  span.events.push_back(telemetry::SpanEvent{telemetry::wall_now_ns(), "first_token", {{"switchyard.ttft_ms", ttft_ms}}});
}

void error_attributes(Span& span, const Error& e) {
  if (e.code == errc::cancelled) {
    span.set("switchyard.attempt.cancelled", true);  // a lost hedge or a client that left: not the provider's failure
    return;
  }
  // The provider's own error code (Anthropic's type, OpenAI's code, Google's status), else its HTTP status, else ours.
  std::string type;
  json::value holder;
  if (const json::object* o = e.upstream_error.empty() ? nullptr : parsed(e.upstream_error, holder)) {
    for (const char* k : {"code", "type", "status"}) {
      if (const auto* v = o->if_contains(k); v && v->is_string() && !v->as_string().empty() && type.empty()) type = v->as_string();
    }
  }
  if (type.empty()) type = e.upstream_status ? std::to_string(e.upstream_status) : std::string(error::code_name(e));
  span.set("error.type", std::move(type));
  if (e.upstream_status) span.set("http.response.status_code", static_cast<std::int64_t>(e.upstream_status));
  span.status = telemetry::SpanStatus::error;
  span.status_message = std::string(error::code_name(e)) + ": " + e.message.substr(0, 200);
}

void collect_finish_reasons(std::string_view chunk, std::vector<std::string>& out) {
  for (std::string_view key : {"\"finish_reason\":\"", "\"stop_reason\":\"", "\"finishReason\":\""}) {
    const auto at = chunk.find(key);
    if (at == std::string_view::npos) continue;
    const auto from = at + key.size();
    const auto to = chunk.find('"', from);
    if (to == std::string_view::npos || to - from > 64) continue;
    out.emplace_back(chunk.substr(from, to - from));
  }
}

}  // namespace switchyard::routing
