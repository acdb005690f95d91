#define BOOST_TEST_MODULE hostile_upstream
// A misbehaving provider (the mock's hostile faults) behind the real gateway:
// keys echoed in every error shape, malformed chunks, comments after [DONE],
// endless chunk extensions, and retries that must not see an earlier
// attempt's changes to the request.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "providers/openai_client.hpp"
#include "providers/upstream_error.hpp"
#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
using std::chrono::milliseconds;

namespace {

struct ProviderType {
  const char* type;
  std::string who;  // how the mock sees the provider's credential
};

const ProviderType kTypes[] = {{"openai", std::string("Bearer ") + kProviderKey},
                               {"anthropic", std::string("x-api-key ") + kProviderKey},
                               {"gemini", std::string("x-goog-api-key ") + kProviderKey}};

}  // namespace

// 5. Provider keys never reach the client or the log, on any path of any provider type.
BOOST_AUTO_TEST_CASE(a_key_the_provider_echoes_never_reaches_the_client_or_the_log) {
  for (const auto& t : kTypes) {
    GatewayHarness h({}, [&](Config& c) {
      c.providers[0].type = *parse_provider_type(t.type);
      c.resilience.attempts_per_target = 1;
      c.resilience.breaker_failures = 1000;
    });
    struct Case {
      unsigned status;
      const char* fault;
      bool stream;
    };
    const Case cases[] = {{400, "none", false}, {401, "none", false}, {500, "none", false}, {429, "none", true},
                          {200, "error-after:0", true}, {200, "error-after:2", true}};
    for (const auto& c : cases) {
      mock::MockBehaviour b;
      b.status = c.status;
      b.echo_key = true;
      BOOST_REQUIRE(mock::parse_fault(c.fault, b));
      h.mock().set_behaviour_for(t.who, b);
      auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", c.stream), auth_headers()));
      BOOST_TEST_CONTEXT(t.type << " status " << c.status << " fault " << c.fault << (c.stream ? " streamed" : "")) {
        BOOST_TEST(r.body.find("Incorrect API key provided") != std::string::npos);  // the echo did come back...
        BOOST_TEST(r.body.find(kProviderKey) == std::string::npos);                 // ...without the key
        BOOST_TEST(r.body.find("provider-secret") == std::string::npos);            // not even a part of it
      }
      // And through the Anthropic client API (its own error shape and stream events).
      auto m = h.run(http_call(h.port(), verb::post, "/v1/messages",
                               std::string(R"({"model":"fast","max_tokens":50,"messages":[{"role":"user","content":"hi"}])") +
                                   (c.stream ? R"(,"stream":true})" : "}"),
                               auth_headers()));
      BOOST_TEST_CONTEXT("/v1/messages via " << t.type << " status " << c.status << " fault " << c.fault) {
        BOOST_TEST(m.body.find("Incorrect API key provided") != std::string::npos);
        BOOST_TEST(m.body.find("provider-secret") == std::string::npos);
      }
    }
    BOOST_TEST(h.log_text().find("provider-secret") == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_long_error_text_is_redacted_before_it_is_cut) {
  // The secret sits across the 200-character cut of a non-JSON error body.
  auto e = providers::error_from_upstream(502, std::string(190, 'x') + " Bearer provider-secret-key-xyz trailing", "", "p", kProviderKey);
  BOOST_TEST(e.message.find("provider-sec") == std::string::npos);
  BOOST_TEST(e.message.find(std::string(190, 'x') + " Bearer [") != std::string::npos);
}

// 8. A malformed chunk is a clean error event on /v1/messages, never a cut connection.
BOOST_AUTO_TEST_CASE(a_malformed_upstream_chunk_ends_a_messages_stream_with_an_error_event) {
  GatewayHarness h({}, [](Config& c) { c.server.access_log = true; });
  mock::MockBehaviour b;
  BOOST_REQUIRE(mock::parse_fault("bad-chunk", b));
  h.mock().set_behaviour_for(std::string("Bearer ") + kProviderKey, b);
  auto m = h.run(http_call(h.port(), verb::post, "/v1/messages",
                           R"({"model":"fast","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]})", auth_headers()));
  BOOST_TEST(m.status == 200u);
  BOOST_TEST(!m.error);  // a complete chunked body, not a cut connection
  BOOST_TEST(m.body.find("event: error") != std::string::npos);
  BOOST_TEST(m.body.find("message_stop") == std::string::npos);
  // (Logged by the worker as the stream ends: maybe just after the client read its last byte.)
  BOOST_TEST(h.run(eventually([&] { return h.log_text().find("stream broken") != std::string::npos; })));
}

// 9. A retried attempt sends the same request as the first.
BOOST_AUTO_TEST_CASE(a_retry_sends_the_client_request_unchanged_and_adds_no_usage_chunk) {
  GatewayHarness h({}, [](Config& c) {
    mock_fleet(c, {"a", "b"}, "k-", std::chrono::seconds(5));
    c.models[0].targets = {TargetConfig{"a", "mock-fast"}, TargetConfig{"b", "mock-fast"}};
  });
  mock::MockBehaviour failing;
  failing.status = 503;
  h.mock().set_behaviour_for("Bearer k-a", failing);
  // Provider a fails twice (a retry), then b answers: every attempt got the same request.
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(h.mock().stats().requests_by_authorization.at("Bearer k-a") == 2u);
  BOOST_TEST(h.mock().stats().requests_by_authorization.at("Bearer k-b") == 1u);
  const auto answer = read_streamed_answer(r.body);
  BOOST_TEST(answer.done);
  BOOST_TEST(answer.completion_tokens == -1);  // the client did not ask for usage: no usage chunk, on any attempt
  const auto sent = boost::json::parse(h.mock().stats().last_body).as_object();
  BOOST_TEST(sent.at("stream_options").at("include_usage").as_bool());  // the gateway always asks upstream
  BOOST_TEST(sent.at("model").as_string() == "mock-fast");
}

BOOST_AUTO_TEST_CASE(the_upstream_body_is_built_without_changing_the_request) {
  auto req = boost::json::parse(R"({"model":"fast","stream":false,"stream_options":{"include_obfuscation":false},"messages":[],"x":{"y":[1,"2"]}})").as_object();
  const auto before = boost::json::serialize(req);
  const auto body = boost::json::parse(providers::openai_upstream_body(req, "up-model", true)).as_object();
  BOOST_TEST(boost::json::serialize(req) == before);
  BOOST_TEST(body.at("model").as_string() == "up-model");
  BOOST_TEST(body.at("stream").as_bool());
  BOOST_TEST(body.at("stream_options").at("include_usage").as_bool());
  BOOST_TEST(!body.at("stream_options").at("include_obfuscation").as_bool());
  BOOST_TEST(body.at("x").at("y").as_array().size() == 2u);
  const auto plain = boost::json::parse(providers::openai_upstream_body(req, "m\"q", false)).as_object();
  BOOST_TEST(!plain.contains("stream"));
  BOOST_TEST(!plain.contains("stream_options"));
  BOOST_TEST(plain.at("model").as_string() == "m\"q");
}

// 10. [DONE] is the end: comments trickling after it do not hold the client.
BOOST_AUTO_TEST_CASE(the_answer_ends_at_done_even_if_the_upstream_keeps_talking) {
  mock::MockOptions mo;
  mo.hang_limit = std::chrono::seconds(20);
  GatewayHarness h(mo);
  mock::MockBehaviour b;
  BOOST_REQUIRE(mock::parse_fault("trail-after-done", b));
  h.mock().set_behaviour_for(std::string("Bearer ") + kProviderKey, b);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()), std::chrono::seconds(10));
  const auto took = std::chrono::steady_clock::now() - t0;
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(read_streamed_answer(r.body).done);
  BOOST_TEST(std::chrono::duration_cast<milliseconds>(took).count() < 2000);
  // The connection that was still talking is closed, not pooled.
  h.run(eventually([&] { return h.mock().open_connections() == 0; }));
}

// 11. An upstream's endless chunk extension is an error, not a growing buffer.
BOOST_AUTO_TEST_CASE(an_endless_upstream_chunk_extension_is_a_bad_response) {
  GatewayHarness h({}, [](Config& c) { c.resilience.attempts_per_target = 1; });
  mock::MockBehaviour b;
  BOOST_REQUIRE(mock::parse_fault("endless-chunk-ext", b));
  h.mock().set_behaviour_for(std::string("Bearer ") + kProviderKey, b);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
  BOOST_TEST(r.status == 502u);
  auto plain = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", false), auth_headers()));
  BOOST_TEST(plain.status == 502u);
}

// 11. A pooled connection the upstream closes is closed here too, without waiting for the next request.
BOOST_AUTO_TEST_CASE(an_idle_pooled_connection_the_upstream_closes_leaves_no_close_wait) {
  GatewayHarness h;
  auto first = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_TEST(first.status == 200u);
  // Every worker's pools, each read on its own thread.
  auto idle = [&] { return h.run(h.gateway().pools()).at(0).connections_idle; };
  BOOST_TEST(idle() == 1u);
  h.mock().close_idle_connections();
  bool closed = false;
  for (int i = 0; i < 200 && !closed; ++i) {
    closed = idle() == 0;
    if (!closed) h.run(eventually([] { return false; }, std::chrono::milliseconds(10)));
  }
  BOOST_TEST(closed);
}
