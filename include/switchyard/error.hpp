#pragma once
// Switchyard's one error vocabulary. Every failure inside the core is an
// `Error` value; src/error/error_response.cpp maps it to an HTTP status and a
// JSON body at the edge, in one place.
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace switchyard {

enum class errc {
  ok = 0,
  invalid_request,       // 400: missing or wrong fields
  invalid_json,          // 400: the body is not JSON
  body_too_large,        // 413
  headers_too_large,     // 431
  unsupported_encoding,  // 501: a Transfer-Encoding other than chunked
  missing_key,           // 401: no Authorization header
  invalid_key,           // 401: key unknown
  model_not_allowed,     // 403: the key may not use this model
  unknown_model,         // 404
  model_not_supported,   // 400: no target of the route can ever serve this request (a capability none has)
  not_found,             // 404: unknown endpoint
  method_not_allowed,    // 405
  upstream_connect,      // 502: resolve/connect failed
  upstream_tls,          // 502: TLS handshake or verification failed
  upstream_reset,        // 502: connection dropped before the response completed
  upstream_bad_response, // 502: unparsable HTTP or body
  upstream_status,       // upstream answered with an error status (mapped by its status)
  upstream_timeout,      // 504: another wait on the provider ran out (resolving its name)
  connect_timeout,       // 504: no connection (TCP + TLS) within connect_timeout
  header_timeout,        // 504: no response headers within response_timeout
  stall_timeout,         // 504: no bytes within read_timeout (the route's stall_timeout) between two pieces
  first_token_timeout,   // 504: a stream's first chunk not within the route's ttft_timeout
  pool_exhausted,        // 503: no connection could be had in time
  no_target,             // 503: the route has no usable target
  overloaded,            // 503: the gateway's own memory budget for requests in flight is spent
  rate_limited,          // 429: over one of the key's rate limits (retry_after says when)
  budget_exceeded,       // 429: the key's budget for the period is spent
  quota_exhausted,       // 429: a target's (or its provider's) declared quota cannot take the request now
  shutting_down,         // 503: the gateway is shutting down and starts no new upstream work
  invalid_config,        // 400: a configuration to reload was refused (the running one keeps serving)
  invalid_field,         // 400: an admin API body's field is wrong (code "invalid_request_error")
  conflict,              // 409: the name is taken (an admin API create)
  forbidden,             // 403: authenticated, but not allowed (a JWT naming no configured team)
  unavailable,           // 503: a dependency (the store) cannot be reached now
  cancelled,             // client went away
  internal,              // 500
};

const boost::system::error_category& switchyard_category() noexcept;
boost::system::error_code make_error_code(errc e) noexcept;
std::string_view to_string(errc e) noexcept;

// A failure with the context a client needs: which provider, how. Never
// carries secrets: messages are built from our own text and the upstream's
// error message only.
struct Error {
  errc code = errc::internal;
  std::string message;
  std::string provider;        // provider name, when an upstream was involved
  int upstream_status = 0;     // HTTP status the upstream returned, if any
  std::string upstream_error;  // the upstream's own JSON `error` object, serialized, when it sent one
  std::string retry_after;     // the upstream's Retry-After header, passed back on 429/503
  std::string level;           // a limit or budget refusal: whose ("key", "team", "user"); the body's error.level
  // A request the provider had already been sent when it ended (the client
  // left before the answer): what it will bill nonetheless, charged to the
  // key and the ledger (the prompt, as the gateway estimated it, at the target's prices).
  std::int64_t billed_prompt_tokens = 0;
  double billed_usd = 0;
};

Error make_error(errc code, std::string message, std::string provider = {});

template <class T>
using result = boost::system::result<T, Error>;

// Lets result<T>::value() throw on an error (found by argument-dependent lookup).
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

}  // namespace switchyard

namespace boost::system {
template <>
struct is_error_code_enum<switchyard::errc> : std::true_type {};
}  // namespace boost::system
