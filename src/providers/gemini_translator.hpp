#pragma once
// Translation between OpenAI chat completions (the gateway's lingua franca)
// and Google's Gemini API (generateContent / streamGenerateContent). Pure:
// JSON in, JSON out, no I/O.
//   request:  system messages → systemInstruction; assistant → role "model";
//             tool calls → functionCall parts, tool results → functionResponse
//             parts (the function name found from the tool_call_id); images →
//             inlineData (data URLs) or fileData (other URLs); sampling and
//             stop options → generationConfig; tools → functionDeclarations;
//             tool_choice → toolConfig.functionCallingConfig.
//   response: parts → content and tool_calls; finishReason → finish_reason;
//             usageMetadata → usage (thoughts counted as reasoning tokens).
//   stream:   each SSE frame is a whole GenerateContentResponse holding the
//             next parts; there is no [DONE]: the stream ends cleanly when the
//             body ends after a frame with a finishReason.
#include <switchyard/chat.hpp>
#include <switchyard/error.hpp>

#include "providers/openai_chunk_writer.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::providers {

result<boost::json::object> openai_to_gemini_request(const boost::json::object& openai);

// `usage` receives the response's usage.
result<std::string> gemini_to_openai_response(std::string_view gemini_body, std::string_view model, Usage& usage);

// "STOP" → "stop", "MAX_TOKENS" → "length", safety and recitation blocks →
// "content_filter"; "tool_calls" when the answer called a function.
std::string_view gemini_finish_reason(std::string_view reason, bool called_tools) noexcept;

// Maps a Google RPC status ("RESOURCE_EXHAUSTED", ...) to its HTTP status.
int gemini_error_status(std::string_view status) noexcept;

// usageMetadata → Usage (thoughts counted as reasoning tokens, cached content as cached tokens).
Usage gemini_usage(const boost::json::object& usage_metadata);
// The usage of a whole GenerateContentResponse (reported = false when it has none).
Usage gemini_response_usage(std::string_view body);

// What a passed-through Gemini stream tells the gateway (EventPassthrough's
// Reader): usage from usageMetadata, an error frame's Error, the end at a
// frame with a finishReason (the body ending before one is a cut stream).
struct GeminiEvents {
  static constexpr const char* kLast = "a frame with a finishReason";
  result<void> read(std::string_view event, std::string_view data, Usage& usage, bool& finished) const;
};

class GeminiStreamTranslator {
 public:
  GeminiStreamTranslator(std::string_view model, bool include_usage) : out_("chatcmpl-gemini", model, include_usage) {}

  // Feeds one SSE data payload; appends the OpenAI chunks it yields to `out`.
  // Returns an error for an error frame or an unparsable one.
  result<void> on_frame(std::string_view data, std::vector<std::string>& out);
  result<void> on_event(std::string_view /*event*/, std::string_view data, std::vector<std::string>& out) { return on_frame(data, out); }
  // The body ended: the usage chunk (when asked for), or an error when no
  // frame carried a finishReason (a cut stream).
  result<void> on_end(std::vector<std::string>& out);
  const Usage& usage() const noexcept { return usage_; }
  bool finished() const noexcept { return false; }  // the end is the body's end (a last frame may carry only usage)

 private:
  result<void> translate(const boost::json::object& frame, std::vector<std::string>& out);

  OpenAiChunkWriter out_;
  bool started_ = false;
  bool finished_ = false;
  std::int64_t tools_ = 0;
  Usage usage_;
};

}  // namespace switchyard::providers
