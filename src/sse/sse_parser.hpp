#pragma once
// Incremental Server-Sent Events parser (sans-io). Bytes go in with feed() in
// pieces split anywhere; complete events come out of next(). Handles LF and
// CRLF line ends, comment lines (": keep-alive"), multi-line data, event and
// id fields. An event larger than the limit is an error, never unbounded
// buffering.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::sse {

struct SseEvent {
  std::string_view event;  // empty when the stream did not name one
  std::string_view data;   // data lines joined with '\n'
  std::string_view id;
};

enum class SseStatus { event, need_more, too_large };

class SseParser {
 public:
  explicit SseParser(std::size_t max_event_bytes = 1024 * 1024) : max_event_bytes_(max_event_bytes) {}

  // Appends bytes (copied). Invalidates views returned by earlier next() calls.
  void feed(std::string_view bytes);

  // The same without a copy when nothing is pending: events are parsed where
  // they lie. `bytes` must stay valid and unchanged until next() returns
  // need_more (it then keeps a copy of an incomplete event) or the next
  // feed. For a reader whose buffer outlives the parse (SseEventReader).
  void feed_borrowed(std::string_view bytes);

  // Parses the next complete event into `out`. Views in `out` stay valid until
  // the next call to next() or feed().
  SseStatus next(SseEvent& out);

  // Bytes held for an event not yet complete.
  std::size_t pending_bytes() const noexcept { return input_.size() - event_start_; }

 private:
  struct Span {
    std::size_t pos = 0, len = 0;
  };
  std::string_view view(Span s) const { return input_.substr(s.pos, s.len); }
  void reset_event();
  void keep_pending();  // borrowed input: copy the incomplete event into buffer_

  std::size_t max_event_bytes_;
  std::string_view input_;  // what is parsed: buffer_, or the bytes of the last feed()
  bool borrowed_ = false;
  std::string buffer_;
  std::size_t event_start_ = 0;  // where the current (incomplete) event began
  std::size_t scan_ = 0;         // next unparsed line start
  Span event_{}, id_{}, data_{};
  std::size_t data_lines_ = 0;
  std::string joined_;           // only used for multi-line data
};

}  // namespace switchyard::sse
