#pragma once
// Translation between OpenAI chat completions and AWS Bedrock's Converse API
// (Converse / ConverseStream: one shape for every model family on Bedrock).
// Pure: JSON in, JSON out, no I/O. Wire format: wire-formats-3.md section 2.
//   request:  system → "system" text blocks; user/assistant → content blocks
//             ({"text"}, {"image":{format, source:{bytes}}} from data URLs or
//             s3:// URLs, {"toolUse"}); tool results → {"toolResult"} in a user
//             turn; max_tokens, temperature, top_p, stop → inferenceConfig;
//             tools, tool_choice → toolConfig; response_format json_schema →
//             outputConfig.textFormat; reasoning_effort → Anthropic thinking
//             (additionalModelRequestFields) for Anthropic models; a
//             cache_control on a part → a cachePoint after its block.
//   response: text, toolUse and reasoningContent blocks → content, tool_calls,
//             reasoning_content; stopReason → finish_reason; usage with cache
//             reads and writes (counted into the prompt, as for Anthropic).
//   stream:   ConverseStream events (decoded from EventStream frames) → chunks.
#include <switchyard/chat.hpp>
#include <switchyard/error.hpp>

#include "providers/openai_chunk_writer.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::providers {

result<boost::json::object> openai_to_converse_request(const boost::json::object& openai, std::string_view model);

// `usage` receives the answer's usage.
result<std::string> converse_to_openai_response(std::string_view converse_body, std::string_view model, Usage& usage);

std::string_view converse_finish_reason(std::string_view stop_reason) noexcept;

// An AWS error code ("ThrottlingException", "throttlingException", with or
// without a "#"/":" decoration) → the HTTP status it stands for (the router's
// retry classes: throttling 429, unavailable/not ready 503, validation 400, ...).
int aws_error_status(std::string_view code) noexcept;

// The Error an EventStream exception (or error) message stands for: its
// type's status and the payload's "message".
Error aws_stream_exception(std::string_view type, std::string_view payload);

class ConverseStreamTranslator {
 public:
  ConverseStreamTranslator(std::string_view model, bool include_usage) : out_("chatcmpl-bedrock", model, include_usage) {}

  // One ConverseStream event (its :event-type and JSON payload); appends the OpenAI chunks it yields.
  result<void> on_event(std::string_view event, std::string_view data, std::vector<std::string>& out);
  // The body ended: an error unless messageStop came first.
  result<void> on_end(std::vector<std::string>& out);
  bool finished() const noexcept { return finished_; }  // metadata (the last event) came
  const Usage& usage() const noexcept { return usage_; }

 private:
  result<void> translate(std::string_view event, std::string_view data, std::vector<std::string>& out);

  OpenAiChunkWriter out_;
  Usage usage_;
  std::vector<std::int64_t> tool_index_;  // content-block index → OpenAI tool_calls index (-1: not a tool)
  std::int64_t tools_ = 0;
  bool stopped_ = false;   // messageStop came
  bool finished_ = false;  // metadata came
};

// Converse's usage object ({inputTokens, outputTokens, cacheReadInputTokens, cacheWriteInputTokens}) → Usage.
Usage converse_usage(const boost::json::object& usage);

}  // namespace switchyard::providers
