#pragma once
// Provider type "openai": OpenAI and every OpenAI-compatible endpoint
// (OpenRouter, Mistral, DeepSeek, Groq, Together, vLLM, ...). The client's
// body is forwarded with only "model" (and "stream") rewritten; everything
// else (tools, response_format, images, unknown fields) passes through.
#include <switchyard/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

#include "providers/provider_client.hpp"
#include "upstream/connection_pool.hpp"
#include "upstream/endpoint.hpp"
#include "upstream/upstream_exchange.hpp"

namespace switchyard::providers {

class OpenAiClient final : public ProviderClient {
 public:
  OpenAiClient(const boost::asio::any_io_executor& ex, const ProviderConfig& config);

  const std::string& name() const noexcept override { return config_.name; }
  boost::asio::awaitable<result<ChatResponse>> chat_completion(ChatCall call) override;
  boost::asio::awaitable<result<std::unique_ptr<ChunkSource>>> chat_completion_stream(ChatCall call) override;
  boost::asio::awaitable<result<void>> probe() override;  // GET <base_url>/models
  upstream::PoolStats pool_stats() const override { return pool_->stats(); }
  void shutdown() noexcept override { pool_->close(); }

 private:
  // Serializes the upstream request into `scratch` (head) and `body`.
  upstream::UpstreamExchange::RequestBuffers build_request(ChatCall& call, std::string& head, std::string& body) const;
  boost::asio::awaitable<Error> read_error(upstream::UpstreamExchange& exchange) const;

  ProviderConfig config_;
  upstream::Endpoint endpoint_;
  std::string head_prefix_;     // request line and the headers every request carries, built once
  std::string probe_request_;   // GET <prefix>/models, complete
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<upstream::ConnectionPool> pool_;
};

}  // namespace switchyard::providers
