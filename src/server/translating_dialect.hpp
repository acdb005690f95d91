#pragma once
// The stream half of a dialect whose API is not chat completions
// (AnthropicDialect, ResponsesDialect): chat chunks go through a per-stream
// translator into the API's events, or, when a provider of the client's own
// API answered (native), its events pass on untouched.
//   Stream: result<void> on_chunk(std::string_view chunk, std::string& out);
//           void on_end(std::string& out); void on_error(const Error&, std::string& out);
#include <optional>
#include <string>

#include "server/chat_dialect.hpp"
#include "server/response_writer.hpp"

namespace switchyard::server {

template <class Stream>
class TranslatingDialect : public ChatDialect {
 public:
  void chunk(std::string_view c, std::string& out) override {
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
  void end(std::string& out) override {
    if (native_) return;  // the provider's own end event came through
    frames_.clear();
    stream_.on_end(frames_);
    ResponseWriter::append_chunk(out, frames_);
  }
  void broken(const Error& e, std::string& out) override {
    frames_.clear();
    stream_.on_error(e, frames_);
    ResponseWriter::append_chunk(out, frames_);
  }
  const Error* failure() const override { return failure_ ? &*failure_ : nullptr; }

 protected:
  explicit TranslatingDialect(Stream stream) : stream_(std::move(stream)) {}

 private:
  Stream stream_;
  std::string frames_;
  std::optional<Error> failure_;
};

}  // namespace switchyard::server
