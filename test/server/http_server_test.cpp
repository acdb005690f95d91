#define BOOST_TEST_MODULE http_server
// Integration: the real gateway and the real mock provider on loopback.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
using std::chrono::milliseconds;

namespace {

boost::json::object json_of(const std::string& body) { return boost::json::parse(body).as_object(); }

std::string error_code_of(const HttpResult& r) {
  return std::string(json_of(r.body).at("error").as_object().at("code").as_string());
}

std::string error_message_of(const HttpResult& r) {
  return std::string(json_of(r.body).at("error").as_object().at("message").as_string());
}

}  // namespace

BOOST_AUTO_TEST_CASE(non_streamed_completion_is_forwarded_with_only_the_model_rewritten) {
  GatewayHarness h;
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           chat_body("fast", false, R"(,"tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"response_format":{"type":"json_object"},"x_custom":{"keep":1})"),
                           {{"authorization", std::string("Bearer ") + kClientKey}, {"x-request-id", "my-req-1"}}));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(r.headers["x-request-id"] == "my-req-1");
  BOOST_TEST(!r.headers["x-switchyard-overhead-us"].empty());
  auto body = json_of(r.body);
  BOOST_TEST(body.at("object").as_string() == "chat.completion");
  BOOST_TEST(body.at("model").as_string() == "mock-fast");
  BOOST_TEST(body.at("usage").as_object().at("completion_tokens").as_int64() == 16);

  const auto& seen = h.mock().stats();
  BOOST_TEST(seen.last_path == "/v1/chat/completions");
  BOOST_TEST(seen.last_authorization == std::string("Bearer ") + kProviderKey);  // the client's key is not forwarded
  BOOST_TEST(seen.last_body.find(kClientKey) == std::string::npos);
  BOOST_TEST(seen.last_request_id == "my-req-1");
  auto sent = json_of(seen.last_body);
  BOOST_TEST(sent.at("model").as_string() == "mock-fast");
  BOOST_TEST(sent.at("tools").as_array().size() == 1u);
  BOOST_TEST(sent.at("response_format").as_object().at("type").as_string() == "json_object");
  BOOST_TEST(sent.at("x_custom").as_object().at("keep").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(a_request_id_is_generated_when_the_client_sends_none_or_a_bad_one) {
  GatewayHarness h;
  auto r = h.run(http_call(h.port(), verb::get, "/health", "", {{"x-request-id", "bad id with spaces"}}));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(std::string(r.headers["x-request-id"]).rfind("req_", 0) == 0u);
  BOOST_TEST(json_of(r.body).at("status").as_string() == "ok");
}

BOOST_AUTO_TEST_CASE(streamed_completion_is_relayed_chunk_by_chunk_and_ends_with_done) {
  mock::MockOptions mo;
  mo.defaults.tokens = 5;
  GatewayHarness h(mo);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           chat_body("fast", true, R"(,"stream_options":{"include_usage":true})"), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(r.headers[http::field::content_type] == "text/event-stream");
  // role chunk + 5 tokens + finish chunk + usage chunk + [DONE]
  std::size_t events = 0;
  for (auto pos = r.body.find("data: "); pos != std::string::npos; pos = r.body.find("data: ", pos + 1)) ++events;
  BOOST_TEST(events == 9u);
  BOOST_TEST(r.body.find("\"content\":\" Switchyard\"") != std::string::npos);
  BOOST_TEST(r.body.find("\"completion_tokens\":5") != std::string::npos);
  BOOST_TEST(r.body.size() >= 14u);
  BOOST_TEST(r.body.substr(r.body.size() - 14) == "data: [DONE]\n\n");
  BOOST_TEST(json_of(h.mock().stats().last_body).at("stream").as_bool());
}

BOOST_AUTO_TEST_CASE(events_that_arrive_together_leave_in_one_write_and_paced_ones_each_at_once) {
  GatewayHarness h;
  auto metrics = [&] { return h.run(http_call(h.port(), verb::get, "/metrics", "", {})).body; };
  const auto before = metrics();
  // The provider sends the whole answer in one go (the mock holds it with TCP_CORK):
  // the head, 11 events and the end go to the client in one write.
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true, R"(,"mock":{"tokens":8,"burst":1})"),
                           auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(r.body.find("data: [DONE]") != std::string::npos);
  const auto after = metrics();
  BOOST_TEST(metric(after, "switchyard_stream_chunks_total") - metric(before, "switchyard_stream_chunks_total") == 10);  // role, 8 tokens, finish
  BOOST_TEST(metric(after, "switchyard_stream_writes_total") - metric(before, "switchyard_stream_writes_total") == 1);
  // Paced events are never held back waiting for more: a write each (or nearly).
  auto paced = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                               chat_body("fast", true, R"(,"mock":{"tokens":4,"tokens_per_second":40})"), auth_headers()));
  BOOST_REQUIRE_EQUAL(paced.status, 200u);
  const auto last = metrics();
  BOOST_TEST(metric(last, "switchyard_stream_writes_total") - metric(after, "switchyard_stream_writes_total") >= 4);
}

BOOST_AUTO_TEST_CASE(the_first_chunk_arrives_before_the_stream_ends) {
  mock::MockOptions mo;
  mo.defaults.tokens = 10;
  mo.defaults.tokens_per_second = 20;  // 50 ms apart: the whole answer takes ~450 ms
  GatewayHarness h(mo);
  h.run([&]() -> asio::awaitable<void> {
    TestClient c(co_await asio::this_coro::executor);
    BOOST_REQUIRE(!co_await c.connect(h.port()));
    BOOST_REQUIRE(!co_await c.send(verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
    const auto t0 = std::chrono::steady_clock::now();
    auto head = co_await c.read_header();
    BOOST_REQUIRE_EQUAL(head.status, 200u);
    auto body = co_await c.read_body_until("\"content\":\"Hello\"");
    const auto first = std::chrono::steady_clock::now() - t0;
    BOOST_TEST(!c.body_done());  // the rest is still coming: nothing was buffered
    BOOST_TEST(std::chrono::duration_cast<milliseconds>(first).count() < 300);
    body = co_await c.read_body_until("[DONE]");
    BOOST_TEST(body.find("data: [DONE]") != std::string::npos);
    c.close();
  }());
}

BOOST_AUTO_TEST_CASE(many_requests_reuse_few_upstream_connections) {
  GatewayHarness h({}, [](Config& c) { c.providers[0].pool.max_connections = 4; });
  // 40 sequential requests on one client connection: one upstream connection.
  h.run([&]() -> asio::awaitable<void> {
    TestClient c(co_await asio::this_coro::executor);
    BOOST_REQUIRE(!co_await c.connect(h.port()));
    for (int i = 0; i < 40; ++i) {
      auto r = co_await c.call(verb::post, "/v1/chat/completions", chat_body("fast", i % 2 == 1), auth_headers());
      BOOST_TEST_CONTEXT("request " << i << ": " << r.error.message()) { BOOST_REQUIRE_EQUAL(r.status, 200u); }
    }
    c.close();
  }());
  BOOST_TEST(h.mock().stats().requests == 40u);
  auto stats = h.run(h.gateway().pools());  // every worker's pools added up
  if (h.workers() == 1) {
    BOOST_TEST(h.mock().stats().connections_accepted == 1u);
    BOOST_TEST(stats[0].connections_opened == 1u);
    BOOST_TEST(stats[0].connections_reused == 39u);
  } else {
    // The mock runs on another thread than the gateway's worker: a stream's [DONE] may be read
    // before the mock wrote its chunked body's last bytes, and that connection is then closed
    // rather than waited for (UpstreamExchange::finish_now). Whole answers always reuse.
    BOOST_TEST(stats[0].connections_opened + stats[0].connections_reused == 40u);
    BOOST_TEST(stats[0].connections_reused >= 20u);
  }

  // 32 concurrent requests through a pool capped at 4: at most 4 upstream connections.
  h.run([&]() -> asio::awaitable<void> {
    using namespace asio::experimental::awaitable_operators;
    auto one = [&]() -> asio::awaitable<void> {
      for (int i = 0; i < 4; ++i) {
        auto r = co_await http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers());
        BOOST_REQUIRE_EQUAL(r.status, 200u);
      }
    };
    co_await (one() && one() && one() && one() && one() && one() && one() && one());
  }());
  // (Each worker has its own pool, capped at 4: at most 4 a worker.)
  if (h.workers() == 1) BOOST_TEST(h.mock().stats().connections_accepted <= 4u);
  else BOOST_TEST(h.mock().stats().connections_accepted - stats[0].connections_opened <= 4u * h.workers());
  BOOST_TEST(h.mock().stats().requests == 72u);
}

BOOST_AUTO_TEST_CASE(a_client_that_disconnects_mid_stream_cancels_the_upstream_at_once) {
  mock::MockOptions mo;
  mo.defaults.tokens = 100;
  mo.defaults.tokens_per_second = 10;  // the whole answer would take 10 s
  GatewayHarness h(mo);
  h.run([&]() -> asio::awaitable<void> {
    TestClient c(co_await asio::this_coro::executor);
    BOOST_REQUIRE(!co_await c.connect(h.port()));
    BOOST_REQUIRE(!co_await c.send(verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
    auto head = co_await c.read_header();
    BOOST_REQUIRE_EQUAL(head.status, 200u);
    co_await c.read_body_until("\"content\":\"Hello\"");
    const auto closed_at = std::chrono::steady_clock::now();
    c.close();
    // The mock sees its connection from the gateway close, long before the answer would end.
    const bool upstream_closed = co_await eventually([&] { return h.mock().open_connections() == 0; }, std::chrono::seconds(3));
    BOOST_TEST(upstream_closed);
    BOOST_TEST(h.mock().stats().peer_closed_mid_response == 1u);
    BOOST_TEST(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - closed_at).count() < 1000);
    const auto stats = h.gateway().provider_stats();
    BOOST_TEST(stats[0].connections_idle == 0u);  // the half-read connection was not pooled
  }());
}

BOOST_AUTO_TEST_CASE(a_client_that_stops_reading_a_stream_pauses_the_upstream_and_is_dropped_after_the_write_timeout) {
  mock::MockOptions mo;
  mo.defaults.tokens = 1'000'000;  // far more than the socket buffers hold
  GatewayHarness h(mo, [](Config& c) {
    c.server.write_timeout = milliseconds(300);
    c.server.access_log = true;
  });
  h.run([&]() -> asio::awaitable<void> {
    TestClient c(co_await asio::this_coro::executor);
    BOOST_REQUIRE(!co_await c.connect(h.port()));
    BOOST_REQUIRE(!co_await c.send(verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
    auto head = co_await c.read_header();
    BOOST_REQUIRE_EQUAL(head.status, 200u);
    // The client reads nothing more but stays connected: the buffers fill, the
    // gateway's writes block, and after the write timeout it drops the client
    // and the upstream.
    const bool dropped = co_await eventually([&] { return h.open_connections() == 0; }, std::chrono::seconds(10));
    BOOST_TEST(dropped);
    BOOST_TEST(co_await eventually([&] { return h.mock().open_connections() == 0; }, std::chrono::seconds(3)));
    BOOST_TEST(h.mock().stats().peer_closed_mid_response == 1u);
    // Back-pressure: while the client did not read, the gateway stopped
    // reading the provider, which could send no more than the sockets' buffers
    // hold (a few MB on loopback) plus the gateway's bounded batch. Without it
    // the gateway would have read the whole 1,000,000-token answer (~230 MB).
    BOOST_TEST(h.mock().stats().stream_bytes_sent < 40u * 1024 * 1024, h.mock().stats().stream_bytes_sent);
    // Logged as what it was, not as the 200 its head said.
    BOOST_TEST(h.log_text().find("status=499 key=test route=fast target=mock/") != std::string::npos, h.log_text());
    BOOST_TEST(h.log_text().find("error=client_write_failed") != std::string::npos);
  }());
  // The gateway serves others as before.
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true, R"(,"mock":{"tokens":3})"), auth_headers()));
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body.find("[DONE]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_client_that_disconnects_while_waiting_for_a_non_streamed_answer_cancels_it) {
  mock::MockOptions mo;
  mo.defaults.ttft = milliseconds(10'000);
  GatewayHarness h(mo);
  h.run([&]() -> asio::awaitable<void> {
    TestClient c(co_await asio::this_coro::executor);
    BOOST_REQUIRE(!co_await c.connect(h.port()));
    BOOST_REQUIRE(!co_await c.send(verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
    BOOST_REQUIRE(co_await eventually([&] { return h.mock().stats().requests == 1; }));
    c.close();
    BOOST_TEST(co_await eventually([&] { return h.mock().open_connections() == 0; }, std::chrono::seconds(3)));
  }());
}

BOOST_AUTO_TEST_CASE(bodies_over_the_limit_get_413) {
  GatewayHarness h({}, [](Config& c) { c.server.max_body_bytes = 1024; });
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           chat_body("fast", false, R"(,"pad":")" + std::string(2000, 'x') + "\""), auth_headers()));
  BOOST_TEST(r.status == 413u);
  BOOST_TEST(error_code_of(r) == "request_too_large");
  BOOST_TEST(h.mock().stats().requests == 0u);
}

BOOST_AUTO_TEST_CASE(malformed_requests_get_400_with_a_clear_message) {
  GatewayHarness h;
  auto bad_json = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", R"({"model":"fast",)", auth_headers()));
  BOOST_TEST(bad_json.status == 400u);
  BOOST_TEST(error_code_of(bad_json) == "invalid_json");
  auto not_object = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", "[1,2]", auth_headers()));
  BOOST_TEST(not_object.status == 400u);
  auto no_model = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", R"({"messages":[{"role":"user","content":"x"}]})", auth_headers()));
  BOOST_TEST(no_model.status == 400u);
  BOOST_TEST(error_message_of(no_model).find("'model'") != std::string::npos);
  auto no_messages = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", R"({"model":"fast"})", auth_headers()));
  BOOST_TEST(no_messages.status == 400u);
  BOOST_TEST(error_message_of(no_messages).find("'messages'") != std::string::npos);
  BOOST_TEST(h.mock().stats().requests == 0u);
}

BOOST_AUTO_TEST_CASE(keys_are_checked_and_model_restrictions_enforced) {
  GatewayHarness h({}, [](Config& c) { c.keys.push_back(KeyConfig{"limited", "sy-limited-key-1", {"fast"}}); });
  auto missing = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body()));
  BOOST_TEST(missing.status == 401u);
  BOOST_TEST(error_code_of(missing) == "missing_api_key");
  auto wrong = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers("sy-not-a-real-key")));
  BOOST_TEST(wrong.status == 401u);
  BOOST_TEST(error_code_of(wrong) == "invalid_api_key");
  BOOST_TEST(wrong.body.find("sy-not-a-real-key") == std::string::npos);
  auto allowed = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers("sy-limited-key-1")));
  BOOST_TEST(allowed.status == 200u);
  auto forbidden = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("mock/other"), auth_headers("sy-limited-key-1")));
  BOOST_TEST(forbidden.status == 403u);
  auto x_api_key = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), {{"x-api-key", kClientKey}}));
  BOOST_TEST(x_api_key.status == 200u);
  auto models_unauth = h.run(http_call(h.port(), verb::get, "/v1/models", ""));
  BOOST_TEST(models_unauth.status == 401u);
  BOOST_TEST(h.mock().stats().requests == 2u);
}

BOOST_AUTO_TEST_CASE(unknown_models_and_paths_get_404) {
  GatewayHarness h;
  auto model = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("gpt-9"), auth_headers()));
  BOOST_TEST(model.status == 404u);
  BOOST_TEST(error_code_of(model) == "model_not_found");
  auto path = h.run(http_call(h.port(), verb::get, "/v1/nothing", "", auth_headers()));
  BOOST_TEST(path.status == 404u);
  auto method = h.run(http_call(h.port(), verb::get, "/v1/chat/completions", "", auth_headers()));
  BOOST_TEST(method.status == 405u);
  auto direct = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("mock/direct-model"), auth_headers()));
  BOOST_TEST(direct.status == 200u);
  BOOST_TEST(json_of(h.mock().stats().last_body).at("model").as_string() == "direct-model");
}

BOOST_AUTO_TEST_CASE(models_endpoint_lists_routes_in_openai_shape) {
  GatewayHarness h;
  auto r = h.run(http_call(h.port(), verb::get, "/v1/models", "", auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  auto body = json_of(r.body);
  BOOST_TEST(body.at("object").as_string() == "list");
  BOOST_TEST(body.at("data").as_array().at(0).as_object().at("id").as_string() == "fast");
}

BOOST_AUTO_TEST_CASE(upstream_failures_map_to_clear_errors_without_secrets) {
  GatewayHarness h({}, [](Config& c) {
    c.providers[0].response_timeout = milliseconds(300);
    c.providers[0].read_timeout = milliseconds(300);
    c.resilience.attempts_per_target = 1;  // the mapping of one failure, without retries
    c.resilience.breaker_failures = 100;
  });
  auto call = [&](std::string mock_json) {
    return h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", false, R"(,"mock":)" + mock_json), auth_headers()));
  };
  auto e500 = call(R"({"status":500})");
  BOOST_TEST(e500.status == 502u);
  BOOST_TEST(error_message_of(e500).find("provider 'mock'") != std::string::npos);
  BOOST_TEST(error_message_of(e500).find("500") != std::string::npos);

  auto e429 = call(R"({"status":429,"retry_after":"7"})");
  BOOST_TEST(e429.status == 429u);
  BOOST_TEST(e429.headers[http::field::retry_after] == "7");

  auto e400 = call(R"({"status":400})");
  BOOST_TEST(e400.status == 400u);
  BOOST_TEST(error_message_of(e400).find("mock error with status 400") != std::string::npos);

  auto reset = call(R"({"fault":"reset"})");
  BOOST_TEST(reset.status == 502u);
  BOOST_TEST(error_code_of(reset) == "upstream_connection_reset");

  const auto t0 = std::chrono::steady_clock::now();
  auto hang = call(R"({"fault":"hang"})");
  BOOST_TEST(hang.status == 504u);
  BOOST_TEST(error_code_of(hang) == "upstream_header_timeout");
  BOOST_TEST(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count() < 2000);

  for (const auto* r : {&e500, &e429, &e400, &reset, &hang}) {
    BOOST_TEST(r->body.find(kProviderKey) == std::string::npos);
    BOOST_TEST(r->body.find(kClientKey) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(an_unreachable_provider_is_a_502_naming_it) {
  GatewayHarness h({}, [](Config& c) { c.providers[0].base_url = "http://127.0.0.1:1/v1"; });
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_TEST(r.status == 502u);
  BOOST_TEST(error_code_of(r) == "upstream_connect_failed");
  BOOST_TEST(error_message_of(r).find("provider 'mock'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_stream_that_stalls_after_bytes_were_sent_ends_with_an_error_event_not_done) {
  GatewayHarness h({}, [](Config& c) { c.providers[0].read_timeout = milliseconds(300); });
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           chat_body("fast", true, R"(,"mock":{"fault":"stall-after:2"})"), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(r.body.find("\"content\":\" from\"") != std::string::npos);
  BOOST_TEST(r.body.find("[DONE]") == std::string::npos);
  BOOST_TEST(r.body.find("\"error\"") != std::string::npos);
  BOOST_TEST(r.body.find("upstream_stalled") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_read_timeout_bounds_each_gap_not_the_whole_stream) {
  // Gaps of 125 ms under a 300 ms read timeout, for longer than 300 ms in all:
  // one timer per exchange (StallWatch) must measure each wait, not the stream.
  GatewayHarness h({}, [](Config& c) { c.providers[0].read_timeout = milliseconds(300); });
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           chat_body("fast", true, R"(,"mock":{"tokens":7,"tokens_per_second":8})"), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(r.body.find("[DONE]") != std::string::npos, r.body);
  BOOST_TEST(r.body.find("upstream_stalled") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_stream_cut_by_the_provider_ends_with_an_error_event_not_done) {
  GatewayHarness h;
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           chat_body("fast", true, R"(,"mock":{"fault":"reset-after:3"})"), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(r.body.find("[DONE]") == std::string::npos);
  BOOST_TEST(r.body.find("\"error\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_stream_that_fails_before_its_first_chunk_gets_a_proper_error_status) {
  GatewayHarness h;
  auto status = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                                chat_body("fast", true, R"(,"mock":{"status":503})"), auth_headers()));
  BOOST_TEST(status.status == 503u);
  auto in_band = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                                 chat_body("fast", true, R"(,"mock":{"fault":"error-after:0"})"), auth_headers()));
  BOOST_TEST(in_band.status == 502u);  // the error came before any content: not a 200
}

BOOST_AUTO_TEST_CASE(pool_exhaustion_is_a_503_not_a_hang) {
  GatewayHarness h({}, [](Config& c) {
    c.providers[0].pool.max_connections = 1;
    c.providers[0].pool.max_waiters = 1;
    c.providers[0].pool.queue_timeout = milliseconds(200);
  });
  if (h.workers() > 1) {  // each worker has its own pool: three connections may land on three of them
    BOOST_TEST_MESSAGE("a pool's limit is per worker: checked with one worker");
    return;
  }
  h.run([&]() -> asio::awaitable<void> {
    using namespace asio::experimental::awaitable_operators;
    // One request holds the only connection for 1 s; one waits 200 ms and gives up; one finds the queue full.
    auto slow = http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", false, R"(,"mock":{"ttft_ms":1000})"), auth_headers());
    auto waiter = [&]() -> asio::awaitable<HttpResult> {
      co_await eventually([&] { return h.mock().stats().requests == 1; });
      co_return co_await http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers());
    };
    auto [a, b, c] = co_await (std::move(slow) && waiter() && waiter());
    BOOST_TEST(a.status == 200u);
    BOOST_TEST(b.status == 503u);
    BOOST_TEST(c.status == 503u);
    BOOST_TEST(error_code_of(b) == "upstream_pool_exhausted");
  }());
}

BOOST_AUTO_TEST_CASE(an_idle_connection_closed_by_the_provider_is_not_reused) {
  mock::MockOptions mo;
  GatewayHarness h(mo);
  auto first = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_REQUIRE_EQUAL(first.status, 200u);
  // The provider drops its idle keep-alive connection (as servers do after their idle timeout).
  h.mock().close_idle_connections();
  h.run(eventually([&] { return h.mock().open_connections() == 0; }));
  auto second = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_TEST(second.status == 200u);
  BOOST_TEST(h.mock().stats().connections_accepted == 2u);
}

BOOST_AUTO_TEST_CASE(slow_clients_are_dropped_after_the_request_timeout) {
  GatewayHarness h({}, [](Config& c) { c.server.request_timeout = milliseconds(200); });
  h.run([&]() -> asio::awaitable<void> {
    TestClient c(co_await asio::this_coro::executor);
    BOOST_REQUIRE(!co_await c.connect(h.port()));
    // Half a request line, then nothing (slowloris).
    co_await asio::async_write(c.stream(), asio::buffer(std::string_view("POST /v1/chat/comp")), use_nothrow);
    const auto t0 = std::chrono::steady_clock::now();
    char byte;
    c.stream().expires_after(std::chrono::seconds(5));
    auto [ec, n] = co_await c.stream().async_read_some(asio::buffer(&byte, 1), use_nothrow);
    BOOST_TEST(ec == asio::error::eof);  // the gateway closed it
    BOOST_TEST(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count() < 2000);
  }());
}

BOOST_AUTO_TEST_CASE(oversized_headers_get_431) {
  GatewayHarness h({}, [](Config& c) { c.server.max_header_bytes = 2048; });
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(),
                           {{"authorization", std::string("Bearer ") + kClientKey}, {"x-big", std::string(4096, 'a')}}));
  BOOST_TEST(r.status == 431u);
}

BOOST_AUTO_TEST_CASE(garbage_instead_of_http_gets_400_and_a_close) {
  GatewayHarness h;
  h.run([&]() -> asio::awaitable<void> {
    TestClient c(co_await asio::this_coro::executor);
    BOOST_REQUIRE(!co_await c.connect(h.port()));
    co_await asio::async_write(c.stream(), asio::buffer(std::string_view("\x16\x03\x01 not http at all\r\n\r\n")), use_nothrow);
    auto r = co_await c.read_response();
    BOOST_TEST(r.status == 400u);
  }());
}

BOOST_AUTO_TEST_CASE(stop_lets_in_flight_requests_finish_and_closes_idle_connections) {
  mock::MockOptions mo;
  mo.defaults.ttft = milliseconds(200);
  GatewayHarness h(mo);
  h.run([&]() -> asio::awaitable<void> {
    using namespace asio::experimental::awaitable_operators;
    TestClient idle(co_await asio::this_coro::executor);
    BOOST_REQUIRE(!co_await idle.connect(h.port()));
    auto busy = http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers());
    auto stopper = [&]() -> asio::awaitable<bool> {
      co_await eventually([&] { return h.mock().stats().requests == 1; });
      co_return co_await h.stop_and_drain(std::chrono::seconds(5));
    };
    auto [r, drained] = co_await (std::move(busy) && stopper());
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(drained);
    BOOST_TEST(h.open_connections() == 0u);
  }());
}

BOOST_AUTO_TEST_CASE(shutdown_cancels_what_outlives_the_grace_period_and_streams_end_with_their_error_event) {
  mock::MockOptions mo;
  mo.defaults.tokens = 200;
  mo.defaults.tokens_per_second = 20;  // a 10 s stream
  GatewayHarness h(mo);
  h.run([&]() -> asio::awaitable<void> {
    using namespace asio::experimental::awaitable_operators;
    auto streaming = http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers());
    auto stopper = [&]() -> asio::awaitable<std::pair<bool, milliseconds>> {
      co_await eventually([&] { return h.mock().stats().requests == 1; });
      const auto t0 = std::chrono::steady_clock::now();
      const bool closed = co_await h.shut_down(milliseconds(200));
      co_return std::make_pair(closed, std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0));
    };
    auto [r, stopped] = co_await (std::move(streaming) && stopper());
    BOOST_TEST(stopped.first);                      // every connection closed
    BOOST_TEST(stopped.second.count() >= 190);      // in-flight work had its grace period
    BOOST_TEST(stopped.second.count() < 3000);      // then was cancelled, not waited for
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.body.find("\"content\"") != std::string::npos);  // it was streaming
    BOOST_TEST(r.body.find("[DONE]") == std::string::npos);       // no clean end: the client can tell
    BOOST_TEST(r.body.find("\"error\"") != std::string::npos);     // the error event
    BOOST_TEST(h.open_connections() == 0u);
  }());
}

BOOST_AUTO_TEST_CASE(the_overhead_header_excludes_the_time_spent_waiting_on_the_provider) {
  mock::MockOptions mo;
  mo.defaults.ttft = milliseconds(100);
  GatewayHarness h(mo);
  for (bool stream : {false, true}) {
    auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", stream), auth_headers()));
    BOOST_REQUIRE_EQUAL(r.status, 200u);
    const auto overhead = std::stol(std::string(r.headers["x-switchyard-overhead-us"]));
    BOOST_TEST(overhead >= 0);
    BOOST_TEST(overhead < 100'000);  // the provider's 100 ms is not counted
  }
}
