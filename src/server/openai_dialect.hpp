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
  void chunk(std::string_view c, std::string& out) override { ResponseWriter::append_sse(out, c); }
  void end(std::string& out) override { ResponseWriter::append_sse(out, "[DONE]"); }
  void broken(const Error& e, std::string& out) override;
};

}  // namespace switchyard::server
