#pragma once
// What an attempt's CLIENT span says, in the OpenTelemetry GenAI
// conventions: its name ("chat {model}", "embeddings {model}",
// "generate_content {model}"), the request's attributes at its start
// (gen_ai.operation.name, gen_ai.provider.name, gen_ai.request.model, the
// route, server.address/port, max_tokens, temperature, stream), and at its
// end the answer's (response id and model, finish reasons, token usage) or
// the error's (error.type, status ERROR). Sans-io: the router calls these
// with values it already has, only for a sampled request.
#include <switchyard/chat.hpp>
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <boost/json/object.hpp>

#include <cstddef>
#include <string>
#include <string_view>

#include "telemetry/genai_names.hpp"
#include "telemetry/request_trace.hpp"

namespace switchyard::routing {

// The attempt's tracing: its span in the request's trace (none when not
// sampled) and the traceparent the provider gets (ours, else the client's as it came).
struct AttemptTrace {
  telemetry::RequestTrace* trace = nullptr;
  std::size_t span = 0;
  std::string own_traceparent;
  std::string_view traceparent;
};

using telemetry::genai_provider_name;

struct AttemptStart {
  const ProviderConfig& provider;
  std::string_view model, route;
  const boost::json::object& body;
  bool embeddings = false, stream = false;
  const NativeRequest* native = nullptr;  // sent as it came (the client's API)
  std::string_view server_host;           // the provider's host and port (server.address, server.port)
  std::int64_t server_port = 0;
};
std::size_t begin_attempt_span(telemetry::RequestTrace& trace, const AttemptStart& a);

// A whole answer: response id, model, finish reasons and usage from its body.
void answer_attributes(telemetry::Span& span, const ChatResponse& answer);
// A stream's first chunk: response id and model, time to first chunk (an event too).
void first_chunk_attributes(telemetry::Span& span, std::string_view chunk, double ttft_ms);
// Tokens (GenAI: input includes cached tokens).
void usage_attributes(telemetry::Span& span, const Usage& used);
// A failed attempt (a cancelled one, a lost hedge, is not an error: marked, status unset).
void error_attributes(telemetry::Span& span, const Error& e);
// The finish reasons a stream chunk names (OpenAI finish_reason, Anthropic stop_reason, Gemini finishReason).
void collect_finish_reasons(std::string_view chunk, std::vector<std::string>& out);

}  // namespace switchyard::routing
