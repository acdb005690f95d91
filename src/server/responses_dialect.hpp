#pragma once
// OpenAI's Responses API (POST /v1/responses): the request was translated to
// chat for the router (providers::responses_request_to_chat); chat answers
// and chunks are written back as a `response` object and its semantic
// events, unless a provider that speaks Responses answered the request as it
// came (native): then its answer and events pass untouched. Errors in
// OpenAI's shape.
#include "providers/responses_translator.hpp"
#include "server/translating_dialect.hpp"

namespace switchyard::server {

class ResponsesDialect final : public TranslatingDialect<providers::ChatToResponsesStream> {
 public:
  explicit ResponsesDialect(providers::ResponsesEcho echo) : TranslatingDialect(providers::ChatToResponsesStream(echo)), echo_(std::move(echo)) {}
  error::HttpError error(const Error& e) const override { return shaped_error(e, ErrorShape::openai); }
  result<std::string> complete(std::string body) override {
    if (native_) return body;
    return providers::chat_response_to_responses(body, echo_);
  }

 private:
  providers::ResponsesEcho echo_;
};

}  // namespace switchyard::server
