#pragma once
// A streamed chat answer and a whole one are the same answer in two shapes:
// the response cache serves a stored stream to a client that asked for a whole
// answer, and a stored whole answer to one that asked for a stream.
#include <switchyard/chat.hpp>

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::cache {

// chat.completion.chunk texts → the chat.completion they add up to (content,
// reasoning_content, refusal and tool calls joined per choice, the finish
// reason, the usage). nullopt when a chunk is not a chunk or no choice finished.
// (A Flight's deque or a stored entry's vector.)
template <class Chunks>
std::optional<std::string> assemble_completion(const Chunks& chunks);
extern template std::optional<std::string> assemble_completion(const std::deque<std::string>&);
extern template std::optional<std::string> assemble_completion(const std::vector<std::string>&);

// chat.completion → the chunks a stream of it carries: the role, the reasoning,
// the content, each tool call, the finish reason; and the usage chunk
// (choices: []) when `include_usage` and the answer reports usage. Empty when
// the body is not a chat.completion.
std::vector<std::string> completion_to_chunks(std::string_view completion, bool include_usage);

// A usage-only chunk ("choices": [] with "usage"): what a stream carries
// only for a client that asked for it (stream_options.include_usage).
bool is_usage_only_chunk(std::string_view chunk) noexcept;

// Where a stream's usage is, noted once per chunk as the chunks arrive (not
// searched again by every client a stored stream is replayed to).
struct UsageMarks {
  std::vector<std::size_t> usage_only;  // indexes of usage-only chunks (one, at the end, as a rule)
  bool carries_usage = false;           // some chunk reports usage
  void note(std::size_t index, std::string_view chunk);
  bool is_usage_only(std::size_t index) const noexcept {
    for (const auto i : usage_only) {
      if (i == index) return true;
    }
    return false;
  }
};

// The usage-only chunk for `usage`, with the id, created and model of `like` (another chunk of the stream).
std::string usage_chunk(std::string_view like, const Usage& usage);

// Whether a whole answer finished, from its top level only: a chat
// completion's finish_reason, a Messages answer's stop_reason, a Responses
// object's status "completed" (an item's own "status":"completed" inside a
// failed response does not count). Only finished answers are stored.
bool finished_answer(std::string_view body) noexcept;
// Whether a stream finished, from its terminal event only (usage-only chunks
// after it skipped): a chat chunk with a finish_reason, Anthropic's
// message_stop, Responses' response.completed. A stream that ended with
// response.failed, response.incomplete or an error event is not stored.
bool finished_stream(const std::deque<std::string>& chunks, const UsageMarks& marks) noexcept;

}  // namespace switchyard::cache
