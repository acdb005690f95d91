#pragma once
// The one mapping from an internal Error to what a client sees: an HTTP status
// and an OpenAI-shaped JSON error body {"error":{"message","type","param","code"}}.
#include <switchyard/error.hpp>

#include <string>

namespace switchyard::error {

struct HttpError {
  int status = 500;
  std::string body;         // JSON
  std::string retry_after;  // empty when none
};

HttpError to_http_error(const Error& e);

// The HTTP status alone (for metrics and logs).
int http_status_of(const Error& e) noexcept;
// The error body's `code` ("upstream_stalled", "first_token_timeout", ...): a metric label.
const char* code_name(const Error& e) noexcept;

// The JSON `error` object alone (used inside an SSE stream after the 200 went out).
std::string error_object_json(const Error& e);

}  // namespace switchyard::error
