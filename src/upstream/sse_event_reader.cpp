#include "upstream/sse_event_reader.hpp"

namespace switchyard::upstream {

namespace asio = boost::asio;

asio::awaitable<result<std::optional<sse::SseEvent>>> SseEventReader::next() {
  for (;;) {
    sse::SseEvent ev;
    switch (parser_.next(ev)) {
      case sse::SseStatus::event: co_return std::optional<sse::SseEvent>{ev};
      case sse::SseStatus::too_large:
        co_return make_error(errc::upstream_bad_response,
                             "sent a stream event larger than " + std::to_string(kMaxEvent) + " bytes", provider_);
      case sse::SseStatus::need_more: break;
    }
    auto piece = co_await exchange_->read_some();
    if (!piece) co_return piece.error();
    if (piece->empty()) co_return std::optional<sse::SseEvent>{};
    parser_.feed(*piece);
  }
}

}  // namespace switchyard::upstream
