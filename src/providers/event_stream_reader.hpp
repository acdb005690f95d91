#pragma once
// Reads an upstream body framed as AWS EventStream (Bedrock's streams)
// message by message as the bytes arrive: what SseEventReader is for SSE.
// Events come out as {event = :event-type, data = payload}; an exception or
// error message ends the stream with the Error it stands for (throttling 429,
// unavailable 503, ...: the router's retry classes), a corrupt frame or a
// body cut inside a frame with a broken-stream error.
#include <switchyard/error.hpp>

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>

#include "providers/event_stream_decoder.hpp"
#include "upstream/upstream_exchange.hpp"

namespace switchyard::providers {

class EventStreamReader {
 public:
  // A message larger than this breaks the stream: what SSE events are held to (SseEventReader::kMaxEvent),
  // not AWS's 24 MiB, so that an upstream that lies cannot make each stream hold 24 MiB.
  static constexpr std::size_t kMaxMessage = 1024 * 1024;

  EventStreamReader(std::unique_ptr<upstream::UpstreamExchange> exchange, std::string provider)
      : exchange_(std::move(exchange)), provider_(std::move(provider)), decoder_(kMaxMessage) {}

  using Item = result<std::optional<EventStreamMessage>>;

  // The next event (views valid until the next call), nullopt at the body's clean end, or the error.
  boost::asio::awaitable<Item> next();
  // The same without waiting: nullopt when the bytes received so far hold no whole message.
  std::optional<Item> poll();
  boost::asio::awaitable<void> fill() { return exchange_->receive(); }
  void finish() noexcept { exchange_->finish_now(); }
  const std::string& provider() const noexcept { return provider_; }

 private:
  std::unique_ptr<upstream::UpstreamExchange> exchange_;
  std::string provider_;
  EventStreamDecoder decoder_;
  bool ended_ = false;
};

}  // namespace switchyard::providers
