#pragma once
// AWS Signature Version 4 (what Bedrock requires), sans-io: the canonical
// request, the string to sign, the signing key chain and the Authorization
// header for one request, from the exact bytes that will be sent and a time
// given by the caller (sign again on every retry: x-amz-date must be within
// minutes of AWS's clock). The path is signed as it goes on the wire,
// encoded once more (a model ID's ':' is "%3A" on the wire, "%253A" signed).
// Wire format: ../shared/reference/wire-formats-3.md section 1.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::providers {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials (STS, SSO); empty: none
};

struct SigV4Request {
  std::string_view method;  // "POST"
  std::string_view host;    // "bedrock-runtime.us-east-1.amazonaws.com" (":port" only when not the default)
  std::string_view path;    // exactly as sent, e.g. "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
  std::string_view query;   // without '?'; empty: none
  // Further headers to sign and send, e.g. {"content-type", "application/json"}, {"x-amz-content-sha256", <hash>}.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

struct SigV4Signature {
  std::string amz_date;           // "20150830T123600Z": sent as X-Amz-Date
  std::string authorization;      // the Authorization header's value
  std::string canonical_request;  // (for tests and debugging: no secret in it)
  std::string string_to_sign;
  std::string signature;          // 64 lower-case hex digits
  // Every header to send for the signature to hold: x-amz-date, x-amz-security-token (when there is one), authorization.
  std::vector<std::pair<std::string, std::string>> headers;
};

// `unix_seconds`: the signing time (UTC). `service`: the signing name ("bedrock", not "bedrock-runtime").
SigV4Signature sign_v4(const SigV4Request& request, const AwsCredentials& credentials, std::string_view region, std::string_view service,
                       std::int64_t unix_seconds);

// RFC 3986 unreserved characters kept, everything else %XX (upper-case hex); '/' kept when `keep_slash`.
std::string aws_uri_encode(std::string_view s, bool keep_slash);
// The path normalised (empty and "." segments dropped, ".." removes the previous one) and encoded once more.
std::string aws_canonical_uri(std::string_view wire_path);
// Lower-case hex SHA-256 (the payload hash).
std::string sha256_hex(std::string_view bytes);

}  // namespace switchyard::providers
