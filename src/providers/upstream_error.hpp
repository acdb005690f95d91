#pragma once
// Turns what an upstream said about a failure (an error status with a JSON
// body, or an error object inside a 200 stream) into an Error. The provider's
// secret is scrubbed from anything echoed back.
#include <switchyard/error.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Replaces every occurrence of `secret` in `text`, and what is left of it
// where the text was cut inside it (a run of at least its first 8 bytes).
std::string redact(std::string text, std::string_view secret);

// The same for every secret in `secrets`, and any credential-shaped text
// whatever its value: "Bearer <token>", "key=<token>" (query strings),
// "x-api-key: <token>" / "x-goog-api-key: <token>" / "api-key: <token>".
// Applied to every upstream-derived text before it is cut, shown or logged.
std::string redact_secrets(std::string text, const std::vector<std::string>& secrets);

// The error with every text field passed through redact_secrets.
Error redacted(Error e, const std::vector<std::string>& secrets);

}  // namespace switchyard::providers
