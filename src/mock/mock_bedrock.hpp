#pragma once
// What switchyard-mock needs to play AWS Bedrock Runtime, sans-io: checking a
// request's SigV4 signature against the secret the mock was given (as AWS
// would: the signature recomputed from the bytes received), and building
// Converse answers and EventStream frames.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace switchyard::mock {

struct SignedRequest {
  std::string_view method, target, body;
  std::function<std::optional<std::string>(std::string_view name)> header;  // a request header's value, by (lower-case) name
};

// Empty when the request is signed with `secret` for `service` (any region,
// any access key id; x-amz-date within 15 minutes of `now`); else why not.
std::string check_sigv4(const SignedRequest& request, std::string_view secret, std::string_view service, std::int64_t now);

// The access key id an AWS4-HMAC-SHA256 Authorization header names ("" when not one).
std::string sigv4_access_key_id(std::string_view authorization);

// The words of a Converse request's text blocks, counted as the mock counts prompts (~4 characters a token).
int converse_prompt_tokens(const boost::json::object& body);
// The first tool a Converse request declares ("" when none).
std::string converse_first_tool(const boost::json::object& body);

// One EventStream event frame: {:event-type, :content-type application/json, :message-type event} + payload.
std::string event_frame(std::string_view event_type, std::string_view payload);
// An exception frame (":message-type exception") with {"message": ...}.
std::string exception_frame(std::string_view exception_type, std::string_view message);

// An AWS error code for an HTTP status (429 → ThrottlingException, ...).
std::string_view aws_error_code(unsigned status);

}  // namespace switchyard::mock
