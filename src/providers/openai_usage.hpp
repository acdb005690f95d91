#pragma once
// OpenAI's usage object <-> the internal Usage record. Every adapter
// reports its provider's usage through these, so usage reads the same
// whatever answered.
#include <switchyard/chat.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace switchyard::providers {

// {"prompt_tokens", "completion_tokens", "prompt_tokens_details": {"cached_tokens"},
//  "completion_tokens_details": {"reasoning_tokens"}} → Usage (reported = true).
Usage usage_from_openai(const boost::json::object& usage);

// The usage object of a chat.completion body or chunk, without parsing the
// rest: the last `"usage":{` key (inside JSON strings a quote is always
// escaped, so this is never content). nullopt when there is none or it is
// "usage":null.
std::optional<Usage> find_openai_usage(std::string_view json_text);

// Whether an OpenAI request asked for usage in its stream (stream_options.include_usage).
bool wants_usage(const boost::json::object& request) noexcept;

// Usage → OpenAI's usage object (details only when non-zero).
boost::json::object openai_usage_json(const Usage& usage);

// The usage-only chunk OpenAI sends last when stream_options.include_usage is set.
std::string openai_usage_chunk(std::string_view id, std::string_view model, const Usage& usage);

}  // namespace switchyard::providers
