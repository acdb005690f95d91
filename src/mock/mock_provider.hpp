#pragma once
// switchyard-mock: an OpenAI-compatible chat completions server for tests and
// benchmarks. Answers JSON or SSE (with usage, stream_options.include_usage),
// with configurable time to first token, tokens per second and answer
// length, and injected faults. Behaviour comes from the defaults, then
// x-mock-* request headers, then a "mock" object in the request body (which
// passes through the gateway untouched):
//   status, retry_after, ttft_ms, tokens_per_second, tokens,
//   fault = "reset" | "hang" | "stall-after:N" | "reset-after:N" | "error-after:N",
//   fail_rate (0..1) with fail_status: a random share of requests fails,
//   comments = 1: keep-alive comment lines in OpenAI streams (OpenRouter's habit),
//   burst = 1: a stream's events leave together at its end (one read upstream),
//   echo_key = 1: errors repeat the credential received; faults "bad-chunk",
//   "trail-after-done", "endless-chunk-ext" misbehave as hostile upstreams do.
// Anthropic mode answers `thinking: {type: "enabled"}` with a thinking block
// (thinking_delta and signature_delta when streamed), and a request with
// cache_control anywhere reports cache usage: cache_creation_input_tokens the
// first time its system prompt and tools are seen, cache_read_input_tokens after.
// Azure OpenAI's paths are served too: /openai/deployments/{deployment}/chat/completions
// (and /embeddings; the deployment answers as the model) and /openai/v1/...; the
// `api-key` header is recorded as "api-key <key>"; fault "content-filter" is Azure's 400.
// POST /v1/responses answers in the Responses API's shapes (a function_call for
// the first function tool), whole or as its semantic events.
// Bedrock Runtime (POST /model/{modelId}/converse, /converse-stream, /invoke,
// /invoke-with-response-stream): Converse answers and ConverseStream EventStream
// frames (a throttlingException frame for error-after:N), Anthropic models'
// InvokeModel in Anthropic's shapes (stream chunks base64 in EventStream
// frames; the body must have anthropic_version and no model or stream), Titan
// and Cohere embeddings; errors in AWS's shape (x-amzn-ErrorType). SigV4 is
// checked when aws_secret_access_key is set; stats record "aws4 <access key id>".
// Vertex AI (…/publishers/google|anthropic/models/{model}:{method}) with
// POST /token playing Google's OAuth endpoint (the JWT checked against
// google_public_key_pem; Vertex paths then take only the tokens it issued).
// GET /_mock/last answers the last request's path, body and anthropic-beta header
// (for tests that run the mock as a process); POST /v1/messages/count_tokens counts.
// The request path picks the API: /chat/completions (OpenAI), /messages
// (Anthropic), /models/{model}:generateContent or :streamGenerateContent (Gemini),
// /embeddings (OpenAI; float or base64) and /models/{model}:batchEmbedContents
// or :embedContent (Gemini). Embedding vectors are mock_embedding(text, dims):
// the same text gives the same vector on every path, so a test can compare.
#include <switchyard/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::mock {

enum class Fault {
  none, reset, hang, stall_after, reset_after, error_after,
  bad_chunk,          // OpenAI streams: a chunk whose choices are not objects ({"choices":[5]}) after the first
  trail_after_done,   // OpenAI streams: comment lines keep coming after data: [DONE] (the body never ends)
  endless_chunk_ext,  // a 200 whose first chunk header's extension never ends
  content_filter,     // OpenAI mode: Azure's 400 for a prompt its content filter caught
};

struct MockBehaviour {
  unsigned status = 200;
  std::string retry_after;
  Millis ttft{0};
  double tokens_per_second = 0;  // 0 = no delay between tokens
  int tokens = 16;
  Fault fault = Fault::none;
  int fault_after = 0;           // chunks sent before a stall/reset/error fault
  double fail_rate = 0;          // this share of requests (random, seeded) answers with fail_status instead
  unsigned fail_status = 500;
  bool burst = false;            // streams: every event sent at the end, together (TCP_CORK)
  bool comments = false;         // OpenAI mode: SSE comment lines (": OPENROUTER PROCESSING") before each chunk, as OpenRouter sends
  bool echo_key = false;         // error bodies and error frames repeat the credential the request carried (a careless provider)
  bool float_only = false;       // embeddings: vectors always as numbers, encoding_format ignored (as many OpenAI-compatible servers do)
  int ratelimit_remaining_requests = -1;  // >= 0: answers carry x-ratelimit-remaining-requests (and -reset-requests)
  std::string ratelimit_reset_requests = "1s";
};

// The mock's embedding of `text`: `dims` values in [-1, 1] with six decimals, from a hash of the text.
std::vector<double> mock_embedding(std::string_view text, int dims);

// Parses "reset", "hang", "stall-after:3", ... into behaviour; false if unknown.
bool parse_fault(std::string_view text, MockBehaviour& b);

struct MockOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = pick a free port
  MockBehaviour defaults;
  std::string tls_cert_file;  // both set = serve HTTPS
  std::string tls_key_file;
  Millis hang_limit{300'000};  // a hang/stall ends after this even if the client stays
  // Bedrock (POST /model/{id}/...): when set, requests must be SigV4-signed with this secret (any
  // access key id, any region), else 403 InvalidSignatureException; a bearer key (Bedrock API key) is taken as is.
  std::string aws_secret_access_key;
  // Vertex (…/publishers/{google|anthropic}/models/…) and POST /token: when set, /token checks the
  // JWT assertion's RS256 signature with this public key, and Vertex paths take only tokens it issued.
  std::string google_public_key_pem;
  unsigned token_status = 200;  // /token answers this status instead (a failing token endpoint)
  Millis token_delay{0};        // /token answers after this (to see concurrent requests share one exchange)
  std::string jwks;             // GET /jwks.json answers it (an identity provider's key set); "" = 404
};

struct MockStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_closed = 0;
  std::uint64_t requests = 0;
  std::uint64_t peer_closed_mid_response = 0;  // client (the gateway) hung up while we were answering
  std::uint64_t stream_bytes_sent = 0;         // SSE event bytes written into OpenAI streams
  std::string last_path;
  std::string last_authorization;  // the Authorization header, or "x-api-key <key>" (Anthropic style)
  std::string last_body;
  std::string last_request_id;
  std::string last_anthropic_beta;  // the anthropic-beta header, "" when none
  std::string last_traceparent;     // the W3C traceparent header, "" when none
  std::vector<std::string> traceparents;  // every traceparent received, in order
  std::map<std::string, std::uint64_t> requests_by_authorization;  // who asked: one entry per provider key
  std::uint64_t token_requests = 0;  // POST /token (Google OAuth) received
  std::uint64_t jwks_requests = 0;   // GET /jwks.json received
  std::uint64_t otlp_exports = 0;    // POST /v1/traces received (the mock doubles as an OTLP collector)
};

class MockProvider {
 public:
  MockProvider(boost::asio::any_io_executor ex, MockOptions options);
  ~MockProvider();

  std::uint16_t listen();                   // binds; returns the port
  boost::asio::awaitable<void> run();       // accepts until stop()
  void stop();
  // Closes connections waiting for their next request, as a server's idle
  // timeout would (the client is not told).
  void close_idle_connections();
  // Behaviour for requests carrying this Authorization header (a provider's
  // key), so one mock can play several providers; headers and the body still override.
  void set_behaviour_for(const std::string& authorization, MockBehaviour behaviour);
  void clear_behaviour_for(const std::string& authorization);
  // What GET /jwks.json answers from now on (an identity provider rotating its keys).
  void set_jwks(std::string jwks);

  const MockStats& stats() const noexcept { return stats_; }
  std::size_t open_connections() const noexcept { return stats_.connections_accepted - stats_.connections_closed; }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  MockStats& stats_;
};

}  // namespace switchyard::mock
