#pragma once
// Provider type "gemini": Google's Gemini API (x-goog-api-key header;
// POST {base_url}/models/{model}:generateContent, and
// :streamGenerateContent?alt=sse for streams). Requests and answers are
// translated to and from OpenAI's chat completions shape
// (gemini_translator), streams frame by frame.
#include "providers/http_provider.hpp"

namespace switchyard::providers {

class GeminiClient final : public HttpProvider {
 public:
  GeminiClient(const boost::asio::any_io_executor& ex, const ProviderConfig& config);

  boost::asio::awaitable<result<ChatResponse>> chat_completion(ChatCall call) override;
  boost::asio::awaitable<result<std::unique_ptr<ChunkSource>>> chat_completion_stream(ChatCall call) override;
  // POST {base_url}/models/{model}:batchEmbedContents, translated both ways.
  boost::asio::awaitable<result<ChatResponse>> embeddings(ChatCall call) override;
};

// "/models/{model}:{method}" for a model name (a leading "models/" is
// accepted); an error for a name that does not fit in a URL path segment.
result<std::string> gemini_path(std::string_view model, std::string_view method);

}  // namespace switchyard::providers
