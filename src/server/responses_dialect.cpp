#include "server/responses_dialect.hpp"

namespace switchyard::server {

result<std::string> ResponsesDialect::complete(std::string body) {
  if (native_) return body;
  return providers::chat_response_to_responses(body, echo_);
}

void ResponsesDialect::chunk(std::string_view c, std::string& out) {
  if (native_) {  // an event as the provider framed it
    ResponseWriter::append_chunk(out, c);
    return;
  }
  frames_.clear();
  if (auto ok = stream_.on_chunk(c, frames_); !ok) {
    failure_ = ok.error();
    stream_.on_error(*failure_, frames_);
  }
  ResponseWriter::append_chunk(out, frames_);
}

void ResponsesDialect::end(std::string& out) {
  if (native_) return;  // response.completed came through
  frames_.clear();
  stream_.on_end(frames_);
  ResponseWriter::append_chunk(out, frames_);
}

void ResponsesDialect::broken(const Error& e, std::string& out) {
  frames_.clear();
  stream_.on_error(e, frames_);
  ResponseWriter::append_chunk(out, frames_);
}

}  // namespace switchyard::server
