#pragma once
// Provider type "vertex": Google Vertex AI. Gemini models through
// publishers/google/models/{model}:generateContent / :streamGenerateContent
// (the Gemini translator's shapes), Anthropic models (ids starting "claude")
// through publishers/anthropic/models/{model}:rawPredict / :streamRawPredict
// (Anthropic's shapes with anthropic_version "vertex-2023-10-16"; a client's
// own Messages request passed through), embeddings through :predict. Every
// request carries "Authorization: Bearer <token>": the configured
// access_token, or one from the service account (vertex_token_source).
// Wire format: wire-formats-3.md section 4.
#include "providers/http_provider.hpp"
#include "providers/vertex_token_source.hpp"

#include <memory>

namespace switchyard::providers {

class VertexClient final : public HttpProvider {
 public:
  // Throws std::invalid_argument for an unreadable or invalid credentials file (startup, reload).
  VertexClient(const boost::asio::any_io_executor& ex, const ProviderConfig& config, VertexTokenSource::Clock clock = {});
  ~VertexClient() override;

  boost::asio::awaitable<result<ChatResponse>> chat_completion(ChatCall call) override;
  boost::asio::awaitable<result<std::unique_ptr<ChunkSource>>> chat_completion_stream(ChatCall call) override;
  boost::asio::awaitable<result<ChatResponse>> embeddings(ChatCall call) override;
  boost::asio::awaitable<result<void>> probe() override;
  void shutdown() noexcept override;

  std::uint64_t token_exchanges() const noexcept { return tokens_ ? tokens_->exchanges() : 0; }

 protected:
  void authorize(std::string_view wire_path, std::string_view body, std::string& head) const override;

 private:
  // The bearer token for the next request (fetched or refreshed when needed).
  boost::asio::awaitable<result<void>> ready();
  std::string model_path(std::string_view publisher, std::string_view model, std::string_view method) const;

  std::unique_ptr<VertexTokenSource> tokens_;
  std::string bearer_;  // the token authorize() sends
};

// Whether a Vertex model id is Anthropic's ("claude-sonnet-4@20250514").
bool vertex_anthropic_model(std::string_view model) noexcept;

}  // namespace switchyard::providers
