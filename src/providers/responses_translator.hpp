#pragma once
// OpenAI's Responses API (POST /v1/responses) as an inbound API, stateless:
// a request becomes a chat completions request for the router (and for
// every target that does not speak Responses), and the chat answer, whole or
// chunk by chunk, goes back as a `response` object or its semantic events
// (response.created ... response.completed, with sequence_number).
//   request:  instructions → a system message; input items: messages (user,
//             assistant, system, developer; input_text, input_image,
//             output_text parts), function_call → assistant tool_calls,
//             function_call_output → tool messages, reasoning items dropped;
//             flat function tools → chat tools; tool_choice; max_output_tokens;
//             text.format → response_format; reasoning.effort → reasoning_effort.
//             Custom (freeform) tools, such as Codex's apply_patch, become functions
//             of one string argument, `input`, and their calls come back as
//             custom_tool_call items. Hosted tools (web_search, file_search, ...)
//             cannot run elsewhere: dropped.
//   response: message items with output_text parts, function_call items,
//             status / incomplete_details from finish_reason, usage with its details.
// Providers that speak Responses get the request as it came instead
// (ResponsesPassthrough; ProviderConfig::responses).
#include <switchyard/chat.hpp>
#include <switchyard/error.hpp>

#include <boost/json/object.hpp>

#include "providers/event_passthrough.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::providers {

// The chat completions request for a Responses request; a clear 400 for
// what the gateway cannot do statelessly (previous_response_id) or read.
result<boost::json::object> responses_request_to_chat(const boost::json::object& responses);

// What a response object echoes of its request (instructions, tools, ...), and its ids.
struct ResponsesEcho {
  std::string id;     // "resp_..."; items get "msg_..." / "fc_..." from its suffix
  std::string model;  // as the client asked
  boost::json::object settings;  // instructions, max_output_tokens, temperature, top_p, tools, tool_choice, ...
  std::vector<std::string> custom_tools;  // names of the request's `custom` (freeform) tools
  bool is_custom(std::string_view tool) const;
  static ResponsesEcho of(const boost::json::object& request, std::string_view id_suffix);
};

// A chat.completion body as a `response` object.
result<std::string> chat_response_to_responses(std::string_view chat_body, const ResponsesEcho& echo);

// Chat chunks in, Responses SSE events out ("event: TYPE\ndata: {...}\n\n").
class ChatToResponsesStream {
 public:
  // The text and arguments kept to write the closing events (output_text.done,
  // response.completed) are bounded: past this the stream ends with an error.
  static constexpr std::size_t kMaxAssembled = 32 * 1024 * 1024;

  explicit ChatToResponsesStream(ResponsesEcho echo) : echo_(std::move(echo)) {}
  // Appends the events one chunk yields; a chunk that is not a chat.completion.chunk is an error,
  // and so is an answer longer than kMaxAssembled.
  result<void> on_chunk(std::string_view chunk_json, std::string& out);
  void on_end(std::string& out);                     // the clean end: response.completed (or .incomplete)
  void on_error(const Error& e, std::string& out);   // a break after the 200: error, then response.failed

 private:
  struct Item {
    bool tool = false;
    bool custom = false;  // a custom (freeform) tool: its input is the function's "input" argument
    std::string id, call_id, name, text;  // text: the message's text or the call's arguments
    bool open = true;
  };
  void start(std::string& out);
  void close_items(std::string& out);
  void event(std::string& out, std::string_view type, boost::json::object data);
  boost::json::object response_object(std::string_view status) const;
  boost::json::object item_json(const Item& item, bool done) const;

  ResponsesEcho echo_;
  bool started_ = false;
  std::int64_t seq_ = 0;
  std::vector<Item> items_;
  int text_item_ = -1;                 // index in items_ of the open message, -1 = none
  std::vector<int> tool_items_;        // chat tool_calls index → items_ index
  std::string finish_;                 // chat finish_reason
  Usage usage_;
  bool has_usage_ = false;
  std::size_t assembled_ = 0;  // bytes of text and arguments kept in items_
};

// The usage of a response object ({"usage":{input_tokens, output_tokens, ...details}}).
Usage responses_usage(const boost::json::object& response);
// ...of a whole response body; reported = false when it has none.
Usage responses_body_usage(std::string_view body);

// What a passed-through Responses stream tells the gateway: usage from the
// terminal event (response.completed / .incomplete / .failed; text and
// argument deltas counted until then), an `error` event's Error (flat or
// nested), the end at the terminal event.
struct ResponsesEvents {
  static constexpr const char* kLast = "response.completed";
  result<void> read(std::string_view event, std::string_view data, Usage& usage, bool& finished) const;
};
using ResponsesPassthrough = EventPassthrough<ResponsesEvents>;

}  // namespace switchyard::providers
