#pragma once
// A ChunkSource that reads an upstream SSE body event by event and hands
// each event to a per-stream translator (Anthropic's or Gemini's), which
// yields OpenAI chunks. No re-buffering: chunks go out as events come in.
//
// Translator:
//   result<void> on_event(std::string_view event, std::string_view data, std::vector<std::string>& out);
//   result<void> on_end(std::vector<std::string>& out);  // the body ended: clean, or a cut stream
//   bool finished() const;                               // the upstream said it is done (the rest is drained)
//   const Usage& usage() const;
#include <switchyard/chat.hpp>

#include <boost/asio/awaitable.hpp>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "providers/upstream_error.hpp"
#include "upstream/sse_event_reader.hpp"

namespace switchyard::providers {

// Reader: SseEventReader (SSE bodies) or EventStreamReader (AWS EventStream bodies).
template <class Translator, class Reader = upstream::SseEventReader>
class TranslatedChunkStream final : public ChunkSource {
 public:
  TranslatedChunkStream(std::unique_ptr<upstream::UpstreamExchange> exchange, std::string provider, Translator translator)
      : reader_(std::move(exchange), std::move(provider)), translator_(std::move(translator)) {}

  boost::asio::awaitable<Item> next() override {
    for (;;) {
      if (auto ready = poll()) co_return std::move(*ready);
      auto ev = co_await reader_.next();
      if (auto failed = translate(std::move(ev))) co_return std::move(*failed);
    }
  }

  boost::asio::awaitable<void> fill() override { return reader_.fill(); }

  std::optional<Item> poll() override {
    for (;;) {
      if (!pending_.empty()) {
        current_ = std::move(pending_.front());
        pending_.pop_front();
        return Item(std::optional<std::string_view>{current_});
      }
      if (ended_) return Item(std::optional<std::string_view>{});
      if (translator_.finished()) {
        ended_ = true;
        reader_.finish();
        return Item(std::optional<std::string_view>{});
      }
      auto ev = reader_.poll();
      if (!ev) return std::nullopt;
      if (auto failed = translate(std::move(*ev))) return failed;
    }
  }

  Usage usage() const noexcept override { return translator_.usage(); }

 private:
  // Queues the chunks an event translates to; the error that ends the stream, if any.
  std::optional<Item> translate(typename Reader::Item ev) {
    if (!ev) {
      ended_ = true;
      return Item(ev.error());
    }
    out_.clear();
    auto r = *ev ? translator_.on_event((*ev)->event, (*ev)->data, out_) : translator_.on_end(out_);
    if (!*ev) ended_ = true;
    if (!r) {
      ended_ = true;
      return Item(with_provider(r.error(), reader_.provider()));
    }
    for (auto& c : out_) pending_.push_back(std::move(c));
    return std::nullopt;
  }

  Reader reader_;
  Translator translator_;
  std::vector<std::string> out_;
  std::deque<std::string> pending_;
  std::string current_;
  bool ended_ = false;
};

}  // namespace switchyard::providers
