// Integration: POST /v1/embeddings through the real gateway to the mock as an
// OpenAI-type provider (passed through) and as Gemini (batchEmbedContents,
// translated), floats and base64, capability skips, failover, validation
// and accounting.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <cstring>

#include "support/gateway_harness.hpp"
#include "text/base64.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
namespace json = boost::json;

namespace {

// Providers on the one mock: "oai" (OpenAI type), "gem" (Gemini), "ant" (Anthropic).
auto embedding_fleet = [](Config& c) {
  const auto base = c.providers.at(0).base_url;  // http://127.0.0.1:PORT/v1
  c.providers.clear();
  auto add = [&](const char* name, ProviderType type, std::string base_url) {
    ProviderConfig p;
    p.name = name;
    p.type = type;
    p.base_url = std::move(base_url);
    p.api_key = std::string("key-") + name;
    c.providers.push_back(p);
  };
  add("oai", ProviderType::openai, base);
  add("gem", ProviderType::gemini, base.substr(0, base.size() - 3) + "/v1beta");
  add("ant", ProviderType::anthropic, base);
  TargetConfig oai{"oai", "text-embedding-3-small"};
  oai.input_price = 0.02;
  TargetConfig ant{"ant", "claude-x"};
  ant.embeddings = false;  // as the config loader sets for anthropic providers
  c.models = {ModelRouteConfig{"embed", Strategy::failover, {oai}},
              ModelRouteConfig{"embed-gemini", Strategy::failover, {TargetConfig{"gem", "gemini-embedding-001"}}},
              ModelRouteConfig{"embed-mixed", Strategy::failover, {ant, oai}},
              ModelRouteConfig{"claude-only", Strategy::failover, {ant}},
              ModelRouteConfig{"embed-failover", Strategy::failover, {TargetConfig{"oai", "broken-model"}, TargetConfig{"gem", "gemini-embedding-001"}}}};
  c.resilience.attempts_per_target = 1;
};

std::vector<float> decode_vector(std::string_view b64) {
  std::string bytes;
  BOOST_REQUIRE(text::decode_base64(b64, bytes));
  BOOST_REQUIRE_EQUAL(bytes.size() % 4, 0u);
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), bytes.size());  // little-endian host, as the openai SDK decodes
  return out;
}

void check_floats(const json::value& embedding, std::string_view text, int dims) {
  const auto expected = mock::mock_embedding(text, dims);
  const auto& got = embedding.as_array();
  BOOST_REQUIRE_EQUAL(got.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) BOOST_TEST(got[i].to_number<double>() == expected[i]);
}

void check_base64(const json::value& embedding, std::string_view text, int dims) {
  const auto expected = mock::mock_embedding(text, dims);
  const auto got = decode_vector(embedding.as_string());
  BOOST_REQUIRE_EQUAL(got.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) BOOST_TEST(got[i] == static_cast<float>(expected[i]));
}

HttpResult embed(GatewayHarness& h, const std::string& body) {
  return h.run(http_call(h.port(), verb::post, "/v1/embeddings", body, auth_headers()));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(embeddings)

BOOST_AUTO_TEST_CASE(openai_type_passes_through_with_the_model_rewritten) {
  GatewayHarness h({}, embedding_fleet);
  auto r = embed(h, R"({"model":"embed","input":["alpha","beta"],"encoding_format":"float","dimensions":5,"user":"u1"})");
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto j = json::parse(r.body).as_object();
  BOOST_TEST(j.at("object").as_string() == "list");
  BOOST_TEST(j.at("model").as_string() == "text-embedding-3-small");
  const auto& data = j.at("data").as_array();
  BOOST_REQUIRE_EQUAL(data.size(), 2u);
  check_floats(data[0].at("embedding"), "alpha", 5);
  check_floats(data[1].at("embedding"), "beta", 5);
  BOOST_TEST(data[1].at("index").as_int64() == 1);
  BOOST_TEST(j.at("usage").at("prompt_tokens").as_int64() == 2 + 1);  // the mock: ~4 characters a token
  const auto& seen = h.mock().stats();
  BOOST_TEST(seen.last_path == "/v1/embeddings");
  BOOST_TEST(seen.last_authorization == "Bearer key-oai");
  const auto sent = json::parse(seen.last_body).as_object();
  BOOST_TEST(sent.at("model").as_string() == "text-embedding-3-small");
  BOOST_TEST(sent.at("dimensions").as_int64() == 5);
  BOOST_TEST(sent.at("user").as_string() == "u1");
  BOOST_TEST(!sent.contains("stream"));
  // Accounted like chat: a ledger row priced at the target's input price.
  auto totals = h.run(h.gateway().usage(0, std::numeric_limits<std::int64_t>::max(), "key", "")).value();
  BOOST_REQUIRE_EQUAL(totals.size(), 1u);
  BOOST_TEST(totals[0].requests == 1u);
  BOOST_TEST(totals[0].prompt_tokens == 3);
  BOOST_TEST(totals[0].cost_usd == 3 * 0.02 / 1e6, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(base64_from_a_provider_that_has_it_is_passed_on) {
  GatewayHarness h({}, embedding_fleet);
  auto r = embed(h, R"({"model":"embed","input":"hello world","encoding_format":"base64"})");
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto j = json::parse(r.body).as_object();
  check_base64(j.at("data").as_array()[0].at("embedding"), "hello world", 8);
  BOOST_TEST(json::parse(h.mock().stats().last_body).at("encoding_format").as_string() == "base64");
}

BOOST_AUTO_TEST_CASE(base64_is_encoded_by_the_gateway_when_the_provider_sends_numbers) {
  GatewayHarness h({}, embedding_fleet);
  auto r = embed(h, R"({"model":"embed","input":["one","two","three"],"encoding_format":"base64","mock":{"float_only":1}})");
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto j = json::parse(r.body);
  const auto& data = j.at("data").as_array();
  BOOST_REQUIRE_EQUAL(data.size(), 3u);
  check_base64(data[0].at("embedding"), "one", 8);
  check_base64(data[2].at("embedding"), "three", 8);
}

BOOST_AUTO_TEST_CASE(gemini_is_translated_to_batch_embed_contents_and_back) {
  GatewayHarness h({}, embedding_fleet);
  auto r = embed(h, R"({"model":"embed-gemini","input":["first text","second"],"dimensions":6,"encoding_format":"float"})");
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto j = json::parse(r.body).as_object();
  BOOST_TEST(j.at("object").as_string() == "list");
  BOOST_TEST(j.at("model").as_string() == "gemini-embedding-001");
  const auto& data = j.at("data").as_array();
  BOOST_REQUIRE_EQUAL(data.size(), 2u);
  check_floats(data[0].at("embedding"), "first text", 6);
  check_floats(data[1].at("embedding"), "second", 6);
  BOOST_TEST(j.at("usage").at("prompt_tokens").as_int64() == 3 + 2);  // estimated: Gemini reports none
  const auto& seen = h.mock().stats();
  BOOST_TEST(seen.last_path == "/v1beta/models/gemini-embedding-001:batchEmbedContents");
  BOOST_TEST(seen.last_authorization == "x-goog-api-key key-gem");
  const auto sent = json::parse(seen.last_body).as_object();
  const auto& reqs = sent.at("requests").as_array();
  BOOST_REQUIRE_EQUAL(reqs.size(), 2u);
  BOOST_TEST(reqs[0].at("model").as_string() == "models/gemini-embedding-001");
  BOOST_TEST(reqs[0].at("outputDimensionality").as_int64() == 6);
  BOOST_TEST(reqs[1].at("content").at("parts").as_array()[0].at("text").as_string() == "second");

  // The openai SDK's default: base64, encoded by the gateway (Gemini has only numbers).
  auto b = embed(h, R"({"model":"embed-gemini","input":"first text","encoding_format":"base64"})");
  BOOST_REQUIRE_EQUAL(b.status, 200u);
  check_base64(json::parse(b.body).at("data").as_array()[0].at("embedding"), "first text", 8);

  // Token ids cannot be sent to Gemini: a clear 400.
  auto t = embed(h, R"({"model":"embed-gemini","input":[1,2,3]})");
  BOOST_TEST(t.status == 400u);
  BOOST_TEST(t.body.find("token") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(targets_without_embeddings_are_skipped) {
  GatewayHarness h({}, embedding_fleet);
  auto r = embed(h, R"({"model":"embed-mixed","input":"x"})");
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(h.mock().stats().last_path == "/v1/embeddings");
  BOOST_TEST(h.mock().stats().requests == 1u);  // the Anthropic target was never asked
  // No target of the route can ever embed: the client's mistake, a 400 SDKs do not retry (503 is
  // retried twice by the openai SDKs: the client waited for nothing), naming what is missing.
  auto none = embed(h, R"({"model":"claude-only","input":"x"})");
  BOOST_TEST(none.status == 400u);
  const auto e = json::parse(none.body).at("error").as_object();
  BOOST_TEST(e.at("type").as_string() == "invalid_request_error");
  BOOST_TEST(e.at("code").as_string() == "model_not_supported");
  BOOST_TEST(e.at("message").as_string().find("embeddings") != std::string_view::npos, none.body);
  BOOST_TEST(h.mock().stats().requests == 1u);
}

BOOST_AUTO_TEST_CASE(a_failing_target_fails_over_to_the_next) {
  GatewayHarness h({}, embedding_fleet);
  h.mock().set_behaviour_for("Bearer key-oai", [] {
    mock::MockBehaviour b;
    b.status = 500;
    return b;
  }());
  auto r = embed(h, R"({"model":"embed-failover","input":"again","encoding_format":"base64"})");
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  check_base64(json::parse(r.body).at("data").as_array()[0].at("embedding"), "again", 8);
  BOOST_TEST(h.mock().stats().requests == 2u);
  BOOST_TEST(h.mock().stats().last_path.find(":batchEmbedContents") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_requests_get_clear_errors_before_any_upstream_call) {
  GatewayHarness h({}, embedding_fleet);
  const std::pair<const char*, const char*> cases[] = {
      {R"({"model":"embed"})", "'input' is required"},
      {R"({"model":"embed","input":""})", "empty strings"},
      {R"({"model":"embed","input":[]})", "'input' must be"},
      {R"({"model":"embed","input":[{"a":1}]})", "'input' items"},
      {R"({"model":"embed","input":"x","encoding_format":"int8"})", "encoding_format"},
      {R"({"model":"embed","input":"x","dimensions":-3})", "dimensions"},
      {R"({"input":"x"})", "'model' is required"},
  };
  for (const auto& [body, says] : cases) {
    auto r = embed(h, body);
    BOOST_TEST(r.status == 400u, body);
    BOOST_TEST(r.body.find(says) != std::string::npos, body << " -> " << r.body);
  }
  auto no_key = h.run(http_call(h.port(), verb::post, "/v1/embeddings", R"({"model":"embed","input":"x"})"));
  BOOST_TEST(no_key.status == 401u);
  BOOST_TEST(h.mock().stats().requests == 0u);
}

BOOST_AUTO_TEST_CASE(embeddings_answers_are_held_to_a_memory_budget_until_written) {
  // A 21 KB request (2,048 inputs, 1,200 dimensions, base64) made a 13 MB answer; 40 clients that
  // never read held 709 MB, and `concurrent` did not bound it (the ticket ended before the body went).
  GatewayHarness h({}, [](Config& c) {
    embedding_fleet(c);
    c.server.max_embeddings_memory_bytes = 32 << 20;  // 32 MiB
    c.keys[0].limits.concurrent = 2;
  });
  std::string inputs = "[";
  for (int i = 0; i < 2048; ++i) inputs += std::string(i ? "," : "") + "\"t" + std::to_string(i) + "\"";
  inputs += "]";
  // Alone more than the budget: a 400 that says so, nothing sent upstream.
  auto huge = embed(h, R"({"model":"embed","encoding_format":"base64","dimensions":1200,"input":)" + inputs + "}");
  BOOST_TEST(huge.status == 400u);
  BOOST_TEST(huge.body.find("MiB") != std::string::npos, huge.body);
  BOOST_TEST(h.mock().stats().requests == 0u);
  // Two at once fit (11 MiB predicted each, ~7 MB of JSON: more than a socket buffer takes), a
  // third does not: 503 with Retry-After; clients that do not read hold the budget and the
  // key's slots until they go.
  std::string some = "[";
  for (int i = 0; i < 600; ++i) some += std::string(i ? "," : "") + "\"s" + std::to_string(i) + "\"";
  some += "]";
  const std::string body = R"({"model":"embed","dimensions":1200,"input":)" + some + "}";
  h.run([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    std::vector<std::unique_ptr<TestClient>> idle;
    for (int i = 0; i < 2; ++i) {  // they send and never read: the answers sit in the socket buffers
      idle.push_back(std::make_unique<TestClient>(ex));
      BOOST_REQUIRE(!co_await idle.back()->connect(h.port()));
      BOOST_REQUIRE(!co_await idle.back()->send(verb::post, "/v1/embeddings", body, auth_headers()));
    }
    co_await eventually([&] { return h.mock().stats().requests == 2u; }, std::chrono::seconds(5));
    auto third = co_await http_call(h.port(), verb::post, "/v1/embeddings", body, auth_headers());
    BOOST_TEST((third.status == 503u || third.status == 429u), third.body);
    BOOST_TEST(!std::string(third.headers["retry-after"]).empty());
    for (auto& c : idle) (void)co_await c->read_response();
    idle.clear();  // read and gone: the memory and the slots are back
    auto fourth = co_await http_call(h.port(), verb::post, "/v1/embeddings", body, auth_headers());
    BOOST_TEST(fourth.status == 200u, fourth.body);
  }());
}

BOOST_AUTO_TEST_SUITE_END()
