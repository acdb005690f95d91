#include "server/anthropic_dialect.hpp"

namespace switchyard::server {

void AnthropicDialect::chunk(std::string_view c, std::string& out) {
  if (native_) {  // an event as the provider framed it
    ResponseWriter::append_chunk(out, c);
    return;
  }
  frames_.clear();
  if (auto ok = stream_.on_chunk(c, frames_); !ok) {
    failure_ = ok.error();
    providers::OpenAiToAnthropicStream::on_error(*failure_, frames_);
  }
  ResponseWriter::append_chunk(out, frames_);
}

void AnthropicDialect::end(std::string& out) {
  if (native_) return;  // message_stop came through
  frames_.clear();
  stream_.on_end(frames_);
  ResponseWriter::append_chunk(out, frames_);
}

void AnthropicDialect::broken(const Error& e, std::string& out) {
  frames_.clear();
  providers::OpenAiToAnthropicStream::on_error(e, frames_);
  ResponseWriter::append_chunk(out, frames_);
}

}  // namespace switchyard::server
