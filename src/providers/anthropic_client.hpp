#pragma once
// Provider type "anthropic": Anthropic's Messages API (x-api-key and
// anthropic-version headers). Requests and answers are translated to and
// from OpenAI's chat completions shape (anthropic_translator), streams event
// by event.
#include "providers/http_provider.hpp"

namespace switchyard::providers {

class AnthropicClient final : public HttpProvider {
 public:
  static constexpr const char* kVersion = "2023-06-01";

  AnthropicClient(const boost::asio::any_io_executor& ex, const ProviderConfig& config);

  boost::asio::awaitable<result<ChatResponse>> chat_completion(ChatCall call) override;
  boost::asio::awaitable<result<std::unique_ptr<ChunkSource>>> chat_completion_stream(ChatCall call) override;
  // POST {base_url}/messages/count_tokens with the client's request as it came (model rewritten).
  boost::asio::awaitable<result<std::string>> count_tokens(ChatCall call) override;
};

}  // namespace switchyard::providers
