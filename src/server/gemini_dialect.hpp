#pragma once
// Google's Gemini API (POST /v1beta/models/{model}:generateContent and
// :streamGenerateContent): the request was translated to OpenAI chat for the
// router (providers::gemini_request_to_openai); answers, stream frames and
// errors are translated back to Gemini's shapes, unless a Gemini (or
// Vertex-Gemini) target answered the request as it came (native): then its
// answer and frames pass untouched. GeminiEmbedDialect does the same for
// :embedContent / :batchEmbedContents.
#include "providers/gemini_inbound.hpp"
#include "server/translating_dialect.hpp"

namespace switchyard::server {

class GeminiDialect final : public TranslatingDialect<providers::OpenAiToGeminiStream> {
 public:
  explicit GeminiDialect(std::string model) : TranslatingDialect(providers::OpenAiToGeminiStream(model)), model_(std::move(model)) {}
  error::HttpError error(const Error& e) const override { return shaped_error(e, ErrorShape::google); }
  result<std::string> complete(std::string body) override {
    if (native_) return body;
    return providers::openai_response_to_gemini(body, model_);
  }

 private:
  std::string model_;
};

class GeminiEmbedDialect final : public ChatDialect {
 public:
  explicit GeminiEmbedDialect(bool batch) : batch_(batch) {}
  error::HttpError error(const Error& e) const override { return shaped_error(e, ErrorShape::google); }
  result<std::string> complete(std::string body) override { return providers::openai_embeddings_to_gemini(body, batch_); }
  void chunk(std::string_view, std::string&) override {}  // embeddings are never streamed
  void end(std::string&) override {}
  void broken(const Error&, std::string&) override {}

 private:
  bool batch_;
};

}  // namespace switchyard::server
