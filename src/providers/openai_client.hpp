#pragma once
// Provider types "openai" and "azure": OpenAI and every OpenAI-compatible endpoint
// (OpenRouter, Mistral, DeepSeek, Groq, Together, vLLM, ...). The client's
// body is forwarded with only "model" (and "stream") rewritten; everything
// else (tools, response_format, images, unknown fields) passes through.
#include "providers/http_provider.hpp"
#include "providers/upstream_body.hpp"

namespace switchyard::providers {


// Type "azure" is this client with Azure OpenAI's paths and auth: the
// `api-key` header (or a bearer Entra ID token, ad_token); with a dated
// api_version, /openai/deployments/{target model}/chat/completions?api-version=...
// (the deployment in the path; responses are not deployment-scoped); with
// "v1", /openai/v1/chat/completions and the deployment as the body's model.
class OpenAiClient final : public HttpProvider {
 public:
  OpenAiClient(const boost::asio::any_io_executor& ex, const ProviderConfig& config);

  // The path after the base URL's of an operation ("chat/completions",
  // "embeddings", "responses") for `model`: "/chat/completions" etc., or Azure's.
  static result<std::string> path_for(const ProviderConfig& config, std::string_view operation, std::string_view model);

  boost::asio::awaitable<result<ChatResponse>> chat_completion(ChatCall call) override;
  boost::asio::awaitable<result<std::unique_ptr<ChunkSource>>> chat_completion_stream(ChatCall call) override;
  // POST {base_url}/embeddings, the body passed through with `model` rewritten.
  boost::asio::awaitable<result<ChatResponse>> embeddings(ChatCall call) override;
};

}  // namespace switchyard::providers
