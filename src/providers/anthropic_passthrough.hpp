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

#include "providers/event_passthrough.hpp"
#include "providers/upstream_body.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace switchyard::providers {


// The usage of a complete Messages answer (a message object); reported = false when it has none.
Usage anthropic_message_usage(std::string_view body);

// What a passed-through Messages stream tells the gateway: usage from
// message_start and message_delta (content deltas counted until then), an
// `error` event's Error, the end at message_stop.
struct AnthropicEvents {
  static constexpr const char* kLast = "message_stop";
  result<void> read(std::string_view event, std::string_view data, Usage& usage, bool& finished) const;
};
using AnthropicPassthrough = EventPassthrough<AnthropicEvents>;

}  // namespace switchyard::providers
