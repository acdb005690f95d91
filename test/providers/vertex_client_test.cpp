// Integration: clients → the gateway → a provider of type "vertex" (the mock
// playing Vertex AI and Google's token endpoint, which checks the JWT's RS256
// signature with the service account's public key): Gemini models streamed
// and not, Anthropic models translated and passed through natively, :predict
// embeddings, one token exchange for 200 concurrent requests, and a failing
// token endpoint failed over. (Built into gemini_client_test.)
#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/json.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <fstream>

#include "providers/vertex_token_source.hpp"
#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
namespace json = boost::json;
namespace asio = boost::asio;

namespace {

struct KeyPair {
  std::string private_pem, public_pem;
};

// A fresh 2048-bit RSA service-account key (OpenSSL), as Google issues them.
KeyPair make_key() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub, key);
  auto text = [](BIO* b) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(b, &data);
    return std::string(data, static_cast<std::size_t>(n));
  };
  KeyPair k{text(priv), text(pub)};
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return k;
}

const KeyPair& key() {
  static const KeyPair k = make_key();
  return k;
}

// The service-account file, its token_uri at the mock.
std::string credentials_file(const std::string& mock_base, const std::string& private_pem) {
  const std::string path = "/tmp/switchyard-vertex-sa-" + std::to_string(::getpid()) + ".json";
  json::object sa{{"type", "service_account"}, {"project_id", "my-project"}, {"private_key_id", "0123abcd"},
                  {"private_key", private_pem}, {"client_email", "gateway@my-project.iam.gserviceaccount.com"},
                  {"token_uri", mock_base + "/token"}};
  std::ofstream(path) << json::serialize(sa);
  return path;
}

mock::MockOptions vertex_mock() {
  mock::MockOptions mo;
  mo.google_public_key_pem = key().public_pem;
  mo.defaults.tokens = 3;
  return mo;
}

void make_vertex(ProviderConfig& p) {
  p.type = ProviderType::vertex;
  if (p.base_url.ends_with("/v1")) p.base_url.resize(p.base_url.size() - 3);
  p.api_key.clear();
  p.project = "my-project";
  p.location = "us-central1";
  p.credentials_file = credentials_file(p.base_url, key().private_pem);
}

auto to_vertex = [](Config& c) {
  make_vertex(c.providers[0]);
  c.models[0].targets[0].model = "gemini-2.5-flash";
  c.models.push_back(ModelRouteConfig{"claude", Strategy::failover, {TargetConfig{"mock", "claude-sonnet-4@20250514"}}});
  c.models.push_back(ModelRouteConfig{"embed", Strategy::failover, {TargetConfig{"mock", "text-embedding-005"}}});
  c.resilience.attempts_per_target = 1;
  c.resilience.breaker_failures = 100;
};

const std::string kPrefix = "/v1/projects/my-project/locations/us-central1/publishers/";

}  // namespace

BOOST_AUTO_TEST_SUITE(vertex_provider)

BOOST_AUTO_TEST_CASE(gemini_models_with_a_service_account_token_exchanged_once) {
  GatewayHarness h(vertex_mock(), to_vertex, 1);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);  // the mock checked the JWT and then the token
  BOOST_TEST(json::parse(r.body).at("choices").at(0).at("message").at("content").as_string() == "Hello from the");
  BOOST_TEST(h.mock().stats().last_path == kPrefix + "google/models/gemini-2.5-flash:generateContent");
  BOOST_TEST(h.mock().stats().last_authorization.starts_with("Bearer ya29.mock-"));
  auto s = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
  BOOST_REQUIRE_EQUAL(s.status, 200u);
  BOOST_TEST(read_streamed_answer(s.body).text == "Hello from the");
  BOOST_TEST(h.mock().stats().last_path == kPrefix + "google/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  BOOST_TEST(h.mock().stats().token_requests == 1u);  // cached: one exchange for both
  auto e = h.run(http_call(h.port(), verb::post, "/v1/embeddings", R"({"model":"embed","input":["a","b"],"dimensions":4,"encoding_format":"float"})", auth_headers()));
  BOOST_REQUIRE_EQUAL(e.status, 200u);
  BOOST_TEST(json::parse(e.body).at("data").at(1).at("embedding").as_array().size() == 4u);
  BOOST_TEST(h.mock().stats().last_path == kPrefix + "google/models/text-embedding-005:predict");
}

BOOST_AUTO_TEST_CASE(two_hundred_concurrent_requests_share_one_token_exchange) {
  auto mo = vertex_mock();
  mo.token_delay = Millis(200);  // every request arrives while the exchange is in flight
  GatewayHarness h(mo, to_vertex, 1);
  std::vector<unsigned> statuses;
  int done = 0;
  for (int i = 0; i < 200; ++i) {
    asio::co_spawn(h.ioc(), http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()),
                   [&](std::exception_ptr, HttpResult r) {
                     statuses.push_back(r.status);
                     ++done;
                   });
  }
  h.run([&]() -> asio::awaitable<void> { co_await eventually([&] { return done == 200; }, std::chrono::seconds(30)); }(), std::chrono::seconds(40));
  BOOST_TEST(std::count(statuses.begin(), statuses.end(), 200u) == 200);
  BOOST_TEST(h.mock().stats().token_requests == 1u);
}

BOOST_AUTO_TEST_CASE(claude_on_vertex_translated_and_passed_through) {
  GatewayHarness h(vertex_mock(), to_vertex);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("claude", true), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(read_streamed_answer(r.body).text == "Hello from the");
  BOOST_TEST(h.mock().stats().last_path == kPrefix + "anthropic/models/claude-sonnet-4@20250514:streamRawPredict");
  Headers headers = auth_headers();
  headers.emplace_back("anthropic-beta", "interleaved-thinking-2025-05-14");
  auto m = h.run(http_call(h.port(), verb::post, "/v1/messages",
                           R"({"model":"claude","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":1024},)"
                           R"("system":[{"type":"text","text":"Policy.","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"hi"}]})",
                           headers));
  BOOST_REQUIRE_EQUAL(m.status, 200u);
  BOOST_TEST(h.mock().stats().last_path == kPrefix + "anthropic/models/claude-sonnet-4@20250514:rawPredict");
  BOOST_TEST(h.mock().stats().last_anthropic_beta == "interleaved-thinking-2025-05-14");  // a header on Vertex
  auto sent = json::parse(h.mock().stats().last_body).as_object();
  BOOST_TEST(sent.at("anthropic_version").as_string() == "vertex-2023-10-16");
  BOOST_TEST(!sent.contains("model"));
  auto msg = json::parse(m.body).as_object();
  BOOST_TEST(msg.at("content").at(0).at("type").as_string() == "thinking");
  BOOST_TEST(msg.at("usage").at("cache_creation_input_tokens").as_int64() == 1000);
}

BOOST_AUTO_TEST_CASE(a_failing_token_endpoint_is_a_clear_error_and_fails_over) {
  auto mo = vertex_mock();
  mo.token_status = 503;
  GatewayHarness h(mo, [](Config& c) {
    mock_fleet(c, {"vertex", "openai"}, "key-", Millis(5'000));
    make_vertex(c.providers[0]);
    c.models[0].targets = {TargetConfig{"vertex", "gemini-2.5-flash"}};
    c.models.push_back(ModelRouteConfig{"both", Strategy::failover, {TargetConfig{"vertex", "gemini-2.5-flash"}, TargetConfig{"openai", "gpt-mock"}}});
    c.resilience.attempts_per_target = 1;
    c.resilience.breaker_failures = 100;
  });
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_TEST(r.status == 502u);
  BOOST_TEST(r.body.find("could not get a Google access token") != std::string::npos, r.body);
  BOOST_TEST(r.body.find("PRIVATE KEY") == std::string::npos);
  auto f = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("both"), auth_headers()));
  BOOST_REQUIRE_EQUAL(f.status, 200u);
  BOOST_TEST(h.mock().stats().last_authorization == "Bearer key-openai");
}

BOOST_AUTO_TEST_CASE(a_token_near_its_expiry_is_used_while_one_refresh_runs) {
  // The token source alone, on the harness's reactor, with a clock the test moves.
  auto mo = vertex_mock();
  mo.token_delay = Millis(1000);
  std::string base;
  GatewayHarness h(mo, [&](Config& c) { base = c.providers[0].base_url.substr(0, c.providers[0].base_url.size() - 3); }, 1);
  ProviderConfig pc;
  pc.name = "vertex";
  std::ifstream in(credentials_file(base, key().private_pem));
  auto account = providers::read_service_account(std::string(std::istreambuf_iterator<char>(in), {}));
  BOOST_REQUIRE(account);
  std::int64_t now = 1'000'000;
  providers::VertexTokenSource tokens(h.ioc().get_executor(), pc, *account, [&] { return now; });
  std::string first, during, after;
  h.run([&]() -> asio::awaitable<void> {
    auto t = co_await tokens.token();  // none yet: waits for the one exchange
    first = t ? *t : t.error().message;
    now += 3599 - 200;                 // 200 s left: under the 5 minutes
    const auto asked = std::chrono::steady_clock::now();
    auto t2 = co_await tokens.token();  // still valid: answered at once, a refresh starts behind it
    during = t2 ? *t2 : t2.error().message;
    const bool quick = std::chrono::steady_clock::now() - asked < std::chrono::milliseconds(500);
    BOOST_TEST(quick);  // did not wait for the 1 s exchange
    co_await eventually([&] { return tokens.exchanges() == 2; }, std::chrono::seconds(5));
    co_await eventually([&] { return !tokens.refreshing(); }, std::chrono::seconds(5));  // its answer came (after 1 s)
    auto t3 = co_await tokens.token();
    after = t3 ? *t3 : t3.error().message;
  }());
  BOOST_TEST(first.starts_with("ya29.mock-"));
  BOOST_TEST(during == first);
  BOOST_TEST(after.starts_with("ya29.mock-"));
  BOOST_TEST(after != first);
  BOOST_TEST(tokens.exchanges() == 2u);
}

BOOST_AUTO_TEST_CASE(a_failed_exchange_answers_for_a_second_without_asking_again) {
  auto mo = vertex_mock();
  mo.token_status = 503;
  std::string base;
  GatewayHarness h(mo, [&](Config& c) { base = c.providers[0].base_url.substr(0, c.providers[0].base_url.size() - 3); }, 1);
  ProviderConfig pc;
  pc.name = "vertex";
  std::ifstream in(credentials_file(base, key().private_pem));
  auto account = providers::read_service_account(std::string(std::istreambuf_iterator<char>(in), {}));
  BOOST_REQUIRE(account);
  std::int64_t now = 1'000'000;
  providers::VertexTokenSource tokens(h.ioc().get_executor(), pc, *account, [&] { return now; });
  std::vector<std::string> errors;
  h.run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      auto t = co_await tokens.token();
      errors.push_back(t ? "a token?" : t.error().message);
    }
    now += 1;  // a second later the endpoint is asked again
    auto t = co_await tokens.token();
    errors.push_back(t ? "a token?" : t.error().message);
  }());
  BOOST_TEST(tokens.exchanges() == 2u);
  BOOST_TEST(h.mock().stats().token_requests == 2u);
  for (const auto& e : errors) BOOST_TEST(e.find("could not get a Google access token") != std::string::npos, e);
}

BOOST_AUTO_TEST_SUITE_END()
