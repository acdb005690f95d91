#pragma once
// Reads an upstream response body as Server-Sent Events, one event at a time,
// as the bytes arrive. Shared by every streaming provider adapter.
#include <switchyard/error.hpp>

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>

#include "sse/sse_parser.hpp"
#include "upstream/upstream_exchange.hpp"

namespace switchyard::upstream {

class SseEventReader {
 public:
  static constexpr std::size_t kMaxEvent = 1024 * 1024;

  SseEventReader(std::unique_ptr<UpstreamExchange> exchange, std::string provider)
      : exchange_(std::move(exchange)), provider_(std::move(provider)), parser_(kMaxEvent) {}

  using Item = result<std::optional<sse::SseEvent>>;

  // The next event (its views valid until the next call to next() or
  // poll()), nullopt when the body ended, or the error that broke it (I/O,
  // an event over kMaxEvent).
  boost::asio::awaitable<Item> next();

  // The same without waiting: the next event if the bytes already received
  // hold it, else nullopt (only the socket can tell; no system call made).
  std::optional<Item> poll();

  // Waits for more bytes (or the error that ends the body): poll() then has
  // what they complete. One coroutine frame per wait, whatever sits above.
  boost::asio::awaitable<void> fill() { return exchange_->receive(); }

  // The answer is complete (e.g. `data: [DONE]`): what the upstream still
  // sends is not waited for. The connection goes back to the pool only if
  // what already arrived ends the body (UpstreamExchange::finish_now).
  void finish() noexcept { exchange_->finish_now(); }

  const std::string& provider() const noexcept { return provider_; }

 private:
  std::unique_ptr<UpstreamExchange> exchange_;
  std::string provider_;
  sse::SseParser parser_;
  bool ended_ = false;  // the body is complete: what the parser holds is all there is
};

}  // namespace switchyard::upstream
