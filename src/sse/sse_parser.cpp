#include "sse/sse_parser.hpp"

namespace switchyard::sse {

void SseParser::feed_borrowed(std::string_view bytes) {
  if (event_start_ == input_.size()) {
    // Nothing pending: parse the bytes where they lie (no copy). Spans of the
    // event in progress are empty here (it starts at the end of the input).
    input_ = bytes;
    borrowed_ = true;
    scan_ = event_start_ = 0;
    event_ = id_ = data_ = Span{};
    return;
  }
  feed(bytes);
}

void SseParser::feed(std::string_view bytes) {
  keep_pending();
  // Drop what complete events have consumed; keep the event in progress.
  if (event_start_ > 0) {
    buffer_.erase(0, event_start_);
    scan_ -= event_start_;
    event_.pos -= std::min(event_.pos, event_start_);
    id_.pos -= std::min(id_.pos, event_start_);
    data_.pos -= std::min(data_.pos, event_start_);
    event_start_ = 0;
  }
  buffer_.append(bytes.data(), bytes.size());
  input_ = buffer_;
}

// The input is about to change under a borrowed view: its incomplete event
// moves into buffer_ (offsets follow it).
void SseParser::keep_pending() {
  if (!borrowed_) return;
  buffer_.assign(input_.substr(event_start_));
  scan_ -= event_start_;
  event_.pos -= std::min(event_.pos, event_start_);
  id_.pos -= std::min(id_.pos, event_start_);
  data_.pos -= std::min(data_.pos, event_start_);
  event_start_ = 0;
  input_ = buffer_;
  borrowed_ = false;
}

void SseParser::reset_event() {
  event_ = id_ = data_ = Span{};
  data_lines_ = 0;
  joined_.clear();
}

SseStatus SseParser::next(SseEvent& out) {
  for (;;) {
    const auto nl = input_.find('\n', scan_);
    if (nl == std::string_view::npos) {
      if (input_.size() - event_start_ > max_event_bytes_) return SseStatus::too_large;
      keep_pending();  // the caller may now reuse the bytes it fed
      return SseStatus::need_more;
    }
    std::size_t end = nl;
    if (end > scan_ && input_[end - 1] == '\r') --end;
    const std::size_t line_pos = scan_;
    const std::size_t line_len = end - scan_;
    scan_ = nl + 1;

    if (line_len == 0) {  // blank line: dispatch
      const bool has_data = data_lines_ > 0;
      if (has_data) {
        out.event = view(event_);
        out.id = view(id_);
        out.data = data_lines_ == 1 ? view(data_) : std::string_view(joined_);
      }
      event_start_ = scan_;
      if (has_data) {
        // keep the spans alive for the caller: reset only counters that the
        // next event rebuilds
        data_lines_ = 0;
        event_ = id_ = data_ = Span{};
        return SseStatus::event;
      }
      reset_event();
      continue;
    }
    if (scan_ - event_start_ > max_event_bytes_) {
      return SseStatus::too_large;
    }
    const std::string_view line(input_.data() + line_pos, line_len);
    if (line.front() == ':') continue;  // comment / keep-alive
    const auto colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::size_t value_pos = colon == std::string_view::npos ? line_len : colon + 1;
    if (value_pos < line_len && line[value_pos] == ' ') ++value_pos;
    const Span value{line_pos + value_pos, line_len - value_pos};
    if (field == "data") {
      if (data_lines_ == 0) {
        data_ = value;
        joined_.clear();
      } else {
        if (data_lines_ == 1) joined_.assign(view(data_));
        joined_ += '\n';
        joined_ += view(value);
      }
      ++data_lines_;
    } else if (field == "event") {
      event_ = value;
    } else if (field == "id") {
      id_ = value;
    }
    // "retry" and unknown fields are ignored, as the SSE spec says.
  }
}

}  // namespace switchyard::sse
