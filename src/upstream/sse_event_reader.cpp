#include "upstream/sse_event_reader.hpp"

namespace switchyard::upstream {

namespace asio = boost::asio;

std::optional<SseEventReader::Item> SseEventReader::poll() {
  for (;;) {
    sse::SseEvent ev;
    switch (parser_.next(ev)) {
      case sse::SseStatus::event: return Item(std::optional<sse::SseEvent>{ev});
      case sse::SseStatus::too_large:
        return Item(make_error(errc::upstream_bad_response,
                               "sent a stream event larger than " + std::to_string(kMaxEvent) + " bytes", provider_));
      case sse::SseStatus::need_more: break;
    }
    if (ended_) return Item(std::optional<sse::SseEvent>{});
    auto piece = exchange_->read_buffered();
    if (!piece) return std::nullopt;
    if (!*piece) return Item(piece->error());
    if ((*piece)->empty()) ended_ = true;
    else parser_.feed_borrowed(**piece);
  }
}

asio::awaitable<SseEventReader::Item> SseEventReader::next() {
  for (;;) {
    if (auto ready = poll()) co_return std::move(*ready);
    co_await exchange_->receive();
  }
}

}  // namespace switchyard::upstream
