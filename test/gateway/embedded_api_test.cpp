#define BOOST_TEST_MODULE embedded_api
// The core used as a library: no HTTP server, co_await on the caller's io_context.
#include <boost/test/unit_test.hpp>

#include <boost/asio/detached.hpp>
#include <boost/json.hpp>

#include <switchyard/gateway.hpp>

#include "mock/mock_provider.hpp"
#include "support/async.hpp"
#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;

namespace {
ChatRequest request(bool stream_flag = false) {
  ChatRequest r;
  r.body = boost::json::parse(R"({"model":"fast","messages":[{"role":"user","content":"hi"}]})").as_object();
  if (stream_flag) r.body["stream"] = true;
  return r;
}
}  // namespace

BOOST_AUTO_TEST_CASE(chat_and_chat_stream_without_http) {
  asio::io_context ioc{1};
  mock::MockOptions mo;
  mo.defaults.tokens = 4;
  mock::MockProvider mock(ioc.get_executor(), mo);
  const auto mock_port = mock.listen();
  asio::co_spawn(ioc, mock.run(), asio::detached);
  {
    Gateway gateway(ioc.get_executor(), mock_config(mock_port));
    run_async(ioc, [&]() -> asio::awaitable<void> {
      auto answer = co_await gateway.chat(request());
      BOOST_REQUIRE(answer);
      BOOST_TEST(answer->provider == "mock");
      BOOST_TEST(answer->model == "mock-fast");
      auto json = boost::json::parse(answer->body).as_object();
      BOOST_TEST(json.at("choices").as_array().at(0).at("message").at("content").as_string() == "Hello from the Switchyard");

      auto stream = co_await gateway.chat_stream(request(true));
      BOOST_REQUIRE(stream);
      std::string text;
      int chunks = 0;
      for (;;) {
        auto chunk = co_await stream->next();
        BOOST_REQUIRE(chunk);
        if (!*chunk) break;
        ++chunks;
        auto c = boost::json::parse(**chunk).as_object();
        const auto& delta = c.at("choices").as_array().at(0).at("delta").as_object();
        if (auto* content = delta.if_contains("content")) text += std::string(content->as_string());
      }
      BOOST_TEST(chunks == 6);  // role, 4 tokens, finish
      BOOST_TEST(text == "Hello from the Switchyard");

      // In-process callers may also present a key; a wrong one is refused.
      auto keyed = request();
      keyed.api_key = "Bearer wrong-key-123";
      auto refused = co_await gateway.chat(std::move(keyed));
      BOOST_REQUIRE(!refused);
      BOOST_TEST((refused.error().code == errc::invalid_key));
    }());
    gateway.shutdown();
  }
  mock.stop();
  ioc.run_for(std::chrono::seconds(2));
}

BOOST_AUTO_TEST_CASE(a_hand_built_config_with_a_mistake_is_refused_at_construction) {
  boost::asio::io_context ioc;
  Config c;
  ProviderConfig p;
  p.name = "oai";
  p.base_url = "http://127.0.0.1:9/v1";
  c.providers.push_back(p);
  ModelRouteConfig m;
  m.name = "fast";
  m.targets = {TargetConfig{"oai", "gpt-4o-mini"}};
  c.models.push_back(m);
  c.models[0].targets[0].provider = "oia";  // a typo: an error, not a silent failover
  try {
    Gateway g(ioc.get_executor(), c);
    BOOST_FAIL("constructed");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("models[fast].targets[0].provider") != std::string::npos, e.what());
  }
}
