#pragma once
// OpenAI's Responses API (POST /v1/responses): the request was translated to
// chat for the router (providers::responses_request_to_chat); chat answers
// and chunks are written back as a `response` object and its semantic
// events, unless a provider that speaks Responses answered the request as it
// came (native): then its answer and events pass untouched. Errors in
// OpenAI's shape.
#include <optional>

#include "providers/responses_translator.hpp"
#include "server/chat_dialect.hpp"

namespace switchyard::server {

class ResponsesDialect final : public ChatDialect {
 public:
  explicit ResponsesDialect(providers::ResponsesEcho echo) : echo_(echo), stream_(std::move(echo)) {}
  error::HttpError error(const Error& e) const override { return shaped_error(e, ErrorShape::openai); }
  result<std::string> complete(std::string body) override;
  void chunk(std::string_view c, std::string& out) override;
  const Error* failure() const override { return failure_ ? &*failure_ : nullptr; }
  void end(std::string& out) override;
  void broken(const Error& e, std::string& out) override;

 private:
  providers::ResponsesEcho echo_;
  providers::ChatToResponsesStream stream_;
  std::string frames_;
  std::optional<Error> failure_;
};

}  // namespace switchyard::server
