#include "providers/event_stream_reader.hpp"

#include "providers/converse_translator.hpp"
#include "providers/upstream_error.hpp"

namespace switchyard::providers {

namespace asio = boost::asio;

std::optional<EventStreamReader::Item> EventStreamReader::poll() {
  for (;;) {
    EventStreamMessage m;
    switch (decoder_.next(m)) {
      case EventStreamStatus::message:
        if (m.message_type == "exception") return Item(with_provider(aws_stream_exception(m.event, m.data), provider_));
        if (m.message_type == "error") {
          Error e = make_error(errc::upstream_status,
                               "failed mid-stream: " + std::string(m.error_code.substr(0, 64)) + ": " + std::string(m.error_message.substr(0, 500)),
                               provider_);
          e.upstream_status = aws_error_status(m.error_code);
          return Item(std::move(e));
        }
        return Item(std::optional<EventStreamMessage>{m});
      case EventStreamStatus::corrupt:
        return Item(make_error(errc::upstream_bad_response, "sent a corrupt event stream (" + decoder_.why() + ")", provider_));
      case EventStreamStatus::need_more: break;
    }
    if (ended_) {
      if (decoder_.pending() > 0) return Item(make_error(errc::upstream_reset, "ended the event stream inside a message", provider_));
      return Item(std::optional<EventStreamMessage>{});
    }
    auto piece = exchange_->read_buffered();
    if (!piece) return std::nullopt;
    if (!*piece) return Item(piece->error());
    if ((*piece)->empty()) ended_ = true;
    else decoder_.feed(**piece);
  }
}

asio::awaitable<EventStreamReader::Item> EventStreamReader::next() {
  for (;;) {
    if (auto ready = poll()) co_return std::move(*ready);
    co_await exchange_->receive();
  }
}

}  // namespace switchyard::providers
