#pragma once
// Anthropic's Messages API (POST /v1/messages): the request was translated
// to OpenAI chat for the router (providers::anthropic_request_to_openai);
// answers, stream chunks and errors are translated back to Anthropic's shapes,
// unless an anthropic provider answered the request as it came (native): then
// its answer and events pass untouched.
#include "providers/anthropic_inbound.hpp"
#include "server/translating_dialect.hpp"

namespace switchyard::server {

class AnthropicDialect final : public TranslatingDialect<providers::OpenAiToAnthropicStream> {
 public:
  explicit AnthropicDialect(std::string model) : TranslatingDialect(providers::OpenAiToAnthropicStream(model)), model_(std::move(model)) {}
  error::HttpError error(const Error& e) const override { return shaped_error(e, ErrorShape::anthropic); }
  result<std::string> complete(std::string body) override {
    if (native_) return body;
    return providers::openai_response_to_anthropic(body, model_);
  }

 private:
  std::string model_;
};

}  // namespace switchyard::server
