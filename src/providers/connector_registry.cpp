#include "providers/connector_registry.hpp"

#include <stdexcept>

#include "providers/anthropic_client.hpp"
#include "providers/bedrock_client.hpp"
#include "providers/vertex_client.hpp"
#include "providers/gemini_client.hpp"
#include "providers/openai_client.hpp"

namespace switchyard::providers {

std::string chat_url_of(const ProviderConfig& config, std::string_view model) {
  std::string base = config.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  switch (config.type) {
    case ProviderType::anthropic: return base + "/messages";
    case ProviderType::gemini: {
      auto path = gemini_path(model, "generateContent");
      return base + (path ? *path : "/models/" + std::string(model) + ":generateContent");
    }
    case ProviderType::openai:
    case ProviderType::azure: {
      auto path = OpenAiClient::path_for(config, "chat/completions", model);
      return base + (path ? *path : "/chat/completions");
    }
    case ProviderType::bedrock: {
      auto path = bedrock_path(model, "converse");
      return base + (path ? *path : "/model/?/converse");
    }
    case ProviderType::vertex: {
      const bool claude = vertex_anthropic_model(model);
      return base + "/v1/projects/" + config.project + "/locations/" + config.location + "/publishers/" + (claude ? "anthropic" : "google") +
             "/models/" + std::string(model) + (claude ? ":rawPredict" : ":generateContent");
    }
  }
  return base;
}

ConnectorRegistry ConnectorRegistry::with_builtins() {
  ConnectorRegistry r;
  r.add("openai", [](const boost::asio::any_io_executor& ex, const ProviderConfig& cfg) {
    return std::make_unique<OpenAiClient>(ex, cfg);
  });
  r.add("azure", [](const boost::asio::any_io_executor& ex, const ProviderConfig& cfg) {
    return std::make_unique<OpenAiClient>(ex, cfg);
  });
  r.add("anthropic", [](const boost::asio::any_io_executor& ex, const ProviderConfig& cfg) {
    return std::make_unique<AnthropicClient>(ex, cfg);
  });
  r.add("gemini", [](const boost::asio::any_io_executor& ex, const ProviderConfig& cfg) {
    return std::make_unique<GeminiClient>(ex, cfg);
  });
  r.add("vertex", [](const boost::asio::any_io_executor& ex, const ProviderConfig& cfg) {
    return std::make_unique<VertexClient>(ex, cfg);
  });
  r.add("bedrock", [](const boost::asio::any_io_executor& ex, const ProviderConfig& cfg) {
    return std::make_unique<BedrockClient>(ex, cfg);
  });
  return r;
}

void ConnectorRegistry::add(std::string type, Factory factory) { factories_[std::move(type)] = std::move(factory); }

std::vector<std::string> ConnectorRegistry::types() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : factories_) out.push_back(k);
  return out;
}

std::unique_ptr<ProviderClient> ConnectorRegistry::make(const boost::asio::any_io_executor& ex,
                                                        const ProviderConfig& config) const {
  auto it = factories_.find(std::string(to_string(config.type)));
  if (it == factories_.end()) {
    throw std::invalid_argument("provider '" + config.name + "': unknown type '" + std::string(to_string(config.type)) + "'");
  }
  return it->second(ex, config);
}

}  // namespace switchyard::providers
