#pragma once
// Provider type "openai": OpenAI and every OpenAI-compatible endpoint
// (OpenRouter, Mistral, DeepSeek, Groq, Together, vLLM, ...). The client's
// body is forwarded with only "model" (and "stream") rewritten; everything
// else (tools, response_format, images, unknown fields) passes through.
#include "providers/http_provider.hpp"

namespace switchyard::providers {

// The upstream body for one attempt: the client's request with `model`
// replaced and, for streams, `stream: true` and `stream_options.include_usage`
// set. The request itself is not changed (it is shared by every attempt).
std::string openai_upstream_body(const boost::json::object& body, std::string_view model, bool stream);

class OpenAiClient final : public HttpProvider {
 public:
  OpenAiClient(const boost::asio::any_io_executor& ex, const ProviderConfig& config);

  boost::asio::awaitable<result<ChatResponse>> chat_completion(ChatCall call) override;
  boost::asio::awaitable<result<std::unique_ptr<ChunkSource>>> chat_completion_stream(ChatCall call) override;
  // POST {base_url}/embeddings, the body passed through with `model` rewritten.
  boost::asio::awaitable<result<ChatResponse>> embeddings(ChatCall call) override;
};

}  // namespace switchyard::providers
