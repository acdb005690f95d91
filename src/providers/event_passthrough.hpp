#pragma once
// The Translator of a TranslatedChunkStream that translates nothing: for a
// client whose own API the provider speaks, each SSE event is handed on
// framed as it came ("event: NAME\ndata: DATA\n\n"). What the gateway still
// needs from the stream, the API's Reader tells: usage (limits, spend, the
// ledger), an error event (which ends the stream with its Error: mapped once,
// failed over before the first chunk) and the event that completes it; the
// body ending before that event is a cut stream.
//   Reader: result<void> read(std::string_view event, std::string_view data, Usage& usage, bool& finished);
//           static constexpr const char* kLast;  // the event that completes a stream, for the cut's message
#include <switchyard/chat.hpp>
#include <switchyard/error.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "sse/sse_frame.hpp"

namespace switchyard::providers {

template <class Reader>
class EventPassthrough {
 public:
  result<void> on_event(std::string_view event, std::string_view data, std::vector<std::string>& out) {
    if (auto ok = reader_.read(event, data, usage_, finished_); !ok) return ok;
    out.push_back(sse::frame(event, data));
    return {};
  }
  result<void> on_end(std::vector<std::string>&) {
    if (finished_) return {};
    return make_error(errc::upstream_reset, std::string("ended the stream before ") + Reader::kLast);
  }
  bool finished() const noexcept { return finished_; }
  const Usage& usage() const noexcept { return usage_; }

 private:
  Reader reader_;
  Usage usage_;
  bool finished_ = false;
};

}  // namespace switchyard::providers
