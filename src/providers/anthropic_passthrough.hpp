#pragma once
// Anthropic's Messages API passed through: for a client that called
// /v1/messages and a target of an anthropic provider, the client's request
// goes up as it came (only "model" rewritten) and the answer comes back as it
// came, so prompt caching (cache_control), extended thinking (blocks and
// signatures), documents and citations survive. What the gateway still reads
// from it: usage (for limits, spend and the ledger), errors (mapped once, and
// failed over before the first chunk) and the end of the stream.
#include <switchyard/chat.hpp>
#include <switchyard/error.hpp>

#include <boost/json/object.hpp>

#include "providers/upstream_body.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace switchyard::providers {


// The usage of a complete Messages answer (a message object); reported = false when it has none.
Usage anthropic_message_usage(std::string_view body);

// The Translator of a TranslatedChunkStream that translates nothing: each SSE
// event is handed on framed as it came ("event: NAME\ndata: DATA\n\n"), its
// usage read from message_start and message_delta; an `error` event ends the
// stream with its Error; the end without message_stop is a cut stream.
class AnthropicPassthrough {
 public:
  result<void> on_event(std::string_view event, std::string_view data, std::vector<std::string>& out);
  result<void> on_end(std::vector<std::string>& out);
  bool finished() const noexcept { return finished_; }
  const Usage& usage() const noexcept { return usage_; }

 private:
  Usage usage_;
  bool finished_ = false;
};

}  // namespace switchyard::providers
