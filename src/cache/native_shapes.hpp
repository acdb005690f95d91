#pragma once
// A stored answer in a client's own API (an Anthropic Messages or an OpenAI
// Responses passthrough) served in the other shape: a whole answer as the
// API's own event sequence for a streamed request, a stored stream as the
// whole answer for a request that is not streamed. The chat-completions
// counterparts are in completion_chunks.hpp.
//   Messages:  message_start, content_block_start / _delta / _stop per block
//              (text, tool_use input as one input_json_delta, thinking with its
//              signature), message_delta (stop_reason, usage), message_stop.
//   Responses: response.created, per output item output_item.added, its
//              text parts (content_part.added, output_text.delta, .done,
//              content_part.done) or a function call's arguments
//              (function_call_arguments.delta, .done), output_item.done, then
//              response.completed with the whole response.
// Events are SSE frames ("event: NAME\ndata: JSON\n\n") as a passthrough relays them.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::cache {

// The events of a whole answer (a Messages "message" or a Responses
// "response" object); empty when the body is neither.
std::vector<std::string> native_events(std::string_view body);

// The whole answer a stored stream of native events makes; nullopt when the
// events are neither API's, or incomplete (no message_stop / response.completed).
std::optional<std::string> native_whole(const std::vector<std::string>& events);

}  // namespace switchyard::cache
