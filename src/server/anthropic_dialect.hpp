#pragma once
// Anthropic's Messages API (POST /v1/messages): the request was translated
// to OpenAI chat for the router (providers::anthropic_request_to_openai);
// answers, stream chunks and errors are translated back to Anthropic's shapes,
// unless an anthropic provider answered the request as it came (native): then
// its answer and events pass untouched.
#include <optional>

#include "providers/anthropic_inbound.hpp"
#include "server/chat_dialect.hpp"

namespace switchyard::server {

class AnthropicDialect final : public ChatDialect {
 public:
  explicit AnthropicDialect(std::string model) : model_(model), stream_(std::move(model)) {}
  error::HttpError error(const Error& e) const override { return shaped_error(e, ErrorShape::anthropic); }
  result<std::string> complete(std::string body) override {
    if (native_) return body;
    return providers::openai_response_to_anthropic(body, model_);
  }
  void chunk(std::string_view c, std::string& out) override;
  const Error* failure() const override { return failure_ ? &*failure_ : nullptr; }
  void end(std::string& out) override;
  void broken(const Error& e, std::string& out) override;

 private:
  std::string model_;
  providers::OpenAiToAnthropicStream stream_;
  std::string frames_;
  std::optional<Error> failure_;
};

}  // namespace switchyard::server
