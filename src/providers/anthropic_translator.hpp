#pragma once
// Translation between OpenAI chat completions (the gateway's lingua franca)
// and Anthropic's Messages API. Pure: JSON in, JSON out, no I/O.
//   request:  system messages → "system"; tool calls and tool results →
//             tool_use / tool_result blocks; images → base64 or URL sources;
//             max_tokens defaulted; stop → stop_sequences; tools and tool_choice.
//   response: content blocks → message content and tool_calls; stop_reason →
//             finish_reason; usage (cache reads counted as prompt tokens).
//   stream:   a per-stream state machine turning Messages SSE events into
//             chat.completion.chunk JSON, tool-call argument deltas included.
#include <switchyard/chat.hpp>
#include <switchyard/error.hpp>

#include "providers/openai_chunk_writer.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::providers {

constexpr std::int64_t kAnthropicDefaultMaxTokens = 4096;

result<boost::json::object> openai_to_anthropic_request(const boost::json::object& openai, std::string_view model);

// `usage` receives the message's usage.
result<std::string> anthropic_to_openai_response(std::string_view anthropic_body, std::string_view model, Usage& usage);

// reasoning_effort ("low", "medium", "high", ...) → a thinking budget in tokens (0: no thinking).
std::int64_t anthropic_thinking_budget(std::string_view effort);

std::string_view anthropic_finish_reason(std::string_view stop_reason) noexcept;

// Maps an Anthropic error type to the HTTP status it stands for (overloaded_error → 529, ...).
int anthropic_error_status(std::string_view type) noexcept;

// An Anthropic usage object's prompt side: cache writes and reads are counted
// apart from input_tokens there; Usage::prompt_tokens holds them all.
void read_prompt_usage(const boost::json::object& usage, Usage& out);

// The Error an `error` stream event ({"type":"error","error":{type,message}}) stands for.
Error anthropic_stream_error(const boost::json::object& event);

class AnthropicStreamTranslator {
 public:
  AnthropicStreamTranslator(std::string_view model, bool include_usage) : out_("chatcmpl-anthropic", model, include_usage) {}

  // Feeds one SSE event; appends the OpenAI chunks it yields to `out`.
  // Returns an error for an `error` event or an unparsable one.
  result<void> on_event(std::string_view event, std::string_view data, std::vector<std::string>& out);
  // The body ended: an error unless message_stop came first.
  result<void> on_end(std::vector<std::string>& out);
  bool finished() const noexcept { return finished_; }
  const Usage& usage() const noexcept { return usage_; }

 private:
  result<void> translate(std::string_view event, std::string_view data, std::vector<std::string>& out);

  OpenAiChunkWriter out_;
  Usage usage_;
  std::vector<std::int64_t> tool_index_;  // Anthropic content-block index → OpenAI tool_calls index (-1: not a tool)
  std::int64_t tools_ = 0;
  bool finished_ = false;
};

}  // namespace switchyard::providers
