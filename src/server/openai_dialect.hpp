#pragma once
// OpenAI's own API (POST /v1/chat/completions): answers pass through; chunks
// are framed as `data:` events without copying; the end is `data: [DONE]`; a
// break is a `data: {"error":...}` event.
#include "server/chat_dialect.hpp"

namespace switchyard::server {

class OpenAiDialect final : public ChatDialect {
 public:
  error::HttpError error(const Error& e) const override { return shaped_error(e, ErrorShape::openai); }
  result<std::string> complete(std::string body) override { return body; }
  const Buffers* chunk(std::string_view c, ResponseWriter& w) override { return &w.sse_chunk(c); }
  const Buffers& end(ResponseWriter& w) override { return w.sse_chunk("[DONE]"); }
  const Buffers& broken(const Error& e, ResponseWriter& w) override;

 private:
  std::string scratch_;
};

}  // namespace switchyard::server
