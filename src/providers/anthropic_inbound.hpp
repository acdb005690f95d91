#pragma once
// The Anthropic Messages API as an inbound API (POST /v1/messages): a Claude
// SDK client's request becomes an OpenAI chat request for the router, and
// the OpenAI answer (JSON or chunks) goes back in Anthropic's shapes.
#include <switchyard/error.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::providers {

result<boost::json::object> anthropic_request_to_openai(const boost::json::object& anthropic);

result<std::string> openai_response_to_anthropic(std::string_view openai_body, std::string_view requested_model);

// {"type":"error","error":{"type","message"}} for an internal error, with its HTTP status.
std::string anthropic_error_body(int status, std::string_view message);

// OpenAI chat.completion.chunk JSON in, Anthropic Messages SSE frames out
// ("event: ...\ndata: ...\n\n"), one content block at a time.
class OpenAiToAnthropicStream {
 public:
  explicit OpenAiToAnthropicStream(std::string model) : model_(std::move(model)) {}
  // Appends the events for one chunk; a chunk that is not a chat.completion.chunk is an error (nothing appended).
  result<void> on_chunk(std::string_view chunk_json, std::string& out);
  void on_end(std::string& out);                       // after [DONE]
  static void on_error(const Error& e, std::string& out);  // a break after the 200

 private:
  void start(std::string& out, std::string_view id);
  void close_block(std::string& out);
  bool translate_chunk(std::string_view chunk_json, std::string& out);  // false: not a chunk
  static void event(std::string& out, std::string_view name, const boost::json::object& data);

  std::string model_;
  bool started_ = false;
  int block_ = -1;               // open content block index, -1 = none
  bool block_is_tool_ = false;
  int next_block_ = 0;
  std::int64_t tool_index_ = -1; // OpenAI tool_calls index of the open tool block
  std::string stop_reason_ = "end_turn";
  std::int64_t input_tokens_ = 0, output_tokens_ = 0;
};

}  // namespace switchyard::providers
