#include "server/anthropic_dialect.hpp"

namespace switchyard::server {

const ChatDialect::Buffers* AnthropicDialect::chunk(std::string_view c, ResponseWriter& w) {
  frames_.clear();
  if (auto ok = stream_.on_chunk(c, frames_); !ok) {
    failure_ = ok.error();
    providers::OpenAiToAnthropicStream::on_error(*failure_, frames_);
  }
  return frames_.empty() ? nullptr : &w.raw_chunk(frames_);
}

const ChatDialect::Buffers& AnthropicDialect::end(ResponseWriter& w) {
  frames_.clear();
  stream_.on_end(frames_);
  return w.raw_chunk(frames_);
}

const ChatDialect::Buffers& AnthropicDialect::broken(const Error& e, ResponseWriter& w) {
  frames_.clear();
  providers::OpenAiToAnthropicStream::on_error(e, frames_);
  return w.raw_chunk(frames_);
}

}  // namespace switchyard::server
