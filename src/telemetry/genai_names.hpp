#pragma once
// The OpenTelemetry GenAI conventions' gen_ai.provider.name for a provider
// type: the platform the gateway calls, not the model's vendor.
#include <switchyard/config.hpp>

#include <string_view>

namespace switchyard::telemetry {

inline std::string_view genai_provider_name(ProviderType type) noexcept {
  switch (type) {
    case ProviderType::openai: return "openai";
    case ProviderType::anthropic: return "anthropic";
    case ProviderType::gemini: return "gcp.gemini";
    case ProviderType::azure: return "azure.ai.openai";
    case ProviderType::bedrock: return "aws.bedrock";
    case ProviderType::vertex: return "gcp.vertex_ai";
  }
  return "_OTHER";
}

}  // namespace switchyard::telemetry
