#pragma once
// Provider type "bedrock": AWS Bedrock Runtime. Chat through Converse /
// ConverseStream for every model family (translated from and to OpenAI's
// shape by converse_translator; streams are AWS EventStream frames); a
// client's own Messages request to an Anthropic model through InvokeModel /
// InvokeModelWithResponseStream, passed through (bedrock_invoke); embeddings
// for amazon.titan-embed-* and cohere.embed-* through InvokeModel. Every
// request is signed with SigV4 (sigv4_signer) from the exact bytes sent, at
// the time it is sent (a retry is signed anew), or carries a Bedrock API key
// as a bearer token (api_key). Wire format: wire-formats-3.md sections 1-3.
#include "providers/http_provider.hpp"
#include "providers/sigv4_signer.hpp"

#include <cstdint>
#include <functional>

namespace switchyard::providers {

class BedrockClient final : public HttpProvider {
 public:
  using Clock = std::function<std::int64_t()>;  // unix seconds (the signing time)

  BedrockClient(const boost::asio::any_io_executor& ex, const ProviderConfig& config, Clock clock = {});

  boost::asio::awaitable<result<ChatResponse>> chat_completion(ChatCall call) override;
  boost::asio::awaitable<result<std::unique_ptr<ChunkSource>>> chat_completion_stream(ChatCall call) override;
  boost::asio::awaitable<result<ChatResponse>> embeddings(ChatCall call) override;
  // Bedrock Runtime has no free request to probe with: the probe proves a
  // TLS connection can be had (passive health covers the rest).
  boost::asio::awaitable<result<void>> probe() override;

 protected:
  void authorize(std::string_view wire_path, std::string_view body, std::string& head) const override;

 private:
  AwsCredentials credentials_;
  Clock clock_;
};

// "/model/{model id, URI-encoded}/{operation}"; an error for an empty or over-long model id.
result<std::string> bedrock_path(std::string_view model, std::string_view operation);

}  // namespace switchyard::providers
