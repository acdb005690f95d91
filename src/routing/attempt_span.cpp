#include "routing/attempt_span.hpp"

#include <boost/json/parse.hpp>

#include "error/error_response.hpp"
#include "upstream/endpoint.hpp"

namespace switchyard::routing {

namespace json = boost::json;
using telemetry::Span;

std::string_view genai_provider_name(ProviderType type) noexcept {
  switch (type) {
    case ProviderType::openai: return "openai";
    case ProviderType::anthropic: return "anthropic";
    case ProviderType::gemini: return "gcp.gemini";
    case ProviderType::azure: return "azure.ai.openai";
    case ProviderType::bedrock: return "aws.bedrock";
    case ProviderType::vertex: return "gcp.vertex_ai";
  }
  return "_OTHER";
}

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

void string_attr(Span& span, std::string_view key, const json::object& o, std::string_view field) {
  if (const auto* v = o.if_contains(field); v && v->is_string() && !v->as_string().empty()) span.set(key, std::string(v->as_string()));
}

// id/model in OpenAI, Anthropic and Responses shapes; responseId/modelVersion in Gemini's.
void identity_attributes(Span& span, const json::object& o) {
  string_attr(span, "gen_ai.response.id", o, "id");
  string_attr(span, "gen_ai.response.id", o, "responseId");
  string_attr(span, "gen_ai.response.model", o, "model");
  string_attr(span, "gen_ai.response.model", o, "modelVersion");
  if (const auto* m = o.if_contains("message"); m && m->is_object()) identity_attributes(span, m->as_object());  // message_start
  if (const auto* r = o.if_contains("response"); r && r->is_object()) identity_attributes(span, r->as_object());  // response.created
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
  if (auto ep = upstream::parse_endpoint(a.provider.base_url)) {
    s.set("server.address", ep->host);
    s.set("server.port", static_cast<std::int64_t>(std::stoll(ep->port)));
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

void answer_attributes(Span& span, const ChatResponse& answer) {
  json::value holder;
  if (const json::object* o = parsed(answer.body, holder)) {
    identity_attributes(span, *o);
    std::vector<std::string> reasons;
    if (const auto* v = o->if_contains("stop_reason"); v && v->is_string()) reasons.emplace_back(v->as_string());  // Anthropic
    for (const char* list : {"choices", "candidates"}) {
      const auto* arr = o->if_contains(list);
      if (!arr || !arr->is_array()) continue;
      for (const auto& c : arr->as_array()) {
        if (!c.is_object()) continue;
        for (const char* k : {"finish_reason", "finishReason"}) {
          if (const auto* r = c.as_object().if_contains(k); r && r->is_string()) reasons.emplace_back(r->as_string());
        }
      }
    }
    if (const auto* st = o->if_contains("status"); st && st->is_string() && o->contains("output")) reasons.emplace_back(st->as_string());  // Responses
    if (!reasons.empty()) span.set("gen_ai.response.finish_reasons", std::move(reasons));
  }
  usage_attributes(span, answer.usage);
}

void first_chunk_attributes(Span& span, std::string_view chunk, double ttft_ms) {
  json::value holder;
  if (const json::object* o = parsed(chunk, holder)) identity_attributes(span, *o);
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
