#pragma once
// Turns what an upstream said about a failure (an error status with a JSON
// body, or an error object inside a 200 stream) into an Error. The provider's
// secret is scrubbed from anything echoed back.
#include <switchyard/error.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace switchyard::providers {

Error error_from_upstream(unsigned status, std::string_view body, std::string_view retry_after,
                          const std::string& provider, std::string_view secret);

// An SSE data payload that is an error object ({"error":{...}}) instead of a chunk.
std::optional<Error> error_in_stream(std::string_view data, const std::string& provider, std::string_view secret);

// The error, naming the provider it came from.
inline Error with_provider(Error e, const std::string& provider) {
  e.provider = provider;
  return e;
}

// Replaces every occurrence of `secret` in `text`.
std::string redact(std::string text, std::string_view secret);

}  // namespace switchyard::providers
