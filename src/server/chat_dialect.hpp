#pragma once
// How a chat answer is written for one client API. The router always speaks
// OpenAI chat completions; a dialect frames errors, complete answers and
// stream pieces for the API the client called (OpenAiDialect,
// AnthropicDialect, ResponsesDialect). Errors go through error::to_http_error, the one mapping,
// and are then shaped for the API.
#include <switchyard/error.hpp>

#include <boost/asio/buffer.hpp>

#include <array>
#include <string>
#include <string_view>

#include "error/error_response.hpp"
#include "server/response_writer.hpp"

namespace switchyard::server {

// The error body shape of a client API.
enum class ErrorShape { openai, anthropic, google };

// The one mapping (error::to_http_error), in the shape of the client's API.
error::HttpError shaped_error(const Error& e, ErrorShape shape);

class ChatDialect {
 public:
  virtual ~ChatDialect() = default;
  virtual error::HttpError error(const Error& e) const = 0;
  virtual result<std::string> complete(std::string openai_body) = 0;
  // Append to `out` the HTTP chunk for a stream chunk (maybe nothing), the clean end, a break.
  virtual void chunk(std::string_view openai_chunk, std::string& out) = 0;
  virtual void end(std::string& out) = 0;
  virtual void broken(const Error& e, std::string& out) = 0;
  // Set when a chunk could not be written in this API: what chunk()
  // appended carries the error event, and the stream ends after it.
  virtual const Error* failure() const { return nullptr; }
  // The answer is in this API already (a provider of the client's API got its
  // request as it came): complete() and chunk() pass it on untouched, end()
  // adds nothing (the provider's own end event came through).
  void set_native(bool native) noexcept { native_ = native; }

 protected:
  bool native_ = false;
};

}  // namespace switchyard::server
