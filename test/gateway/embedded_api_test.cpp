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

namespace {
ChatRequest keyed(const std::string& model, const std::string& key, bool stream_flag = false) {
  ChatRequest r;
  r.body = boost::json::parse(R"({"messages":[{"role":"user","content":"hi"}]})").as_object();
  r.body["model"] = model;
  if (stream_flag) r.body["stream"] = true;
  r.api_key = "Bearer " + key;
  return r;
}
}  // namespace

// A reload while a stream runs under the old configuration: the stream ends
// normally on the provider the new configuration removed (its pool goes when
// the stream does), new requests see the new keys, routes and limits, and the
// unchanged provider keeps its pool and its target's health.
BOOST_AUTO_TEST_CASE(reload_while_a_stream_runs_on_a_provider_it_removes) {
  asio::io_context ioc{1};
  mock::MockOptions mo;
  mo.defaults.tokens = 10;
  mo.defaults.tokens_per_second = 100;
  mock::MockProvider mock(ioc.get_executor(), mo);
  const auto mock_port = mock.listen();
  asio::co_spawn(ioc, mock.run(), asio::detached);
  Config first = mock_config(mock_port);
  ProviderConfig gone = first.providers[0];
  gone.name = "gone";
  gone.api_key = "sk-gone-provider-secret";
  first.providers.push_back(gone);
  first.models.push_back(ModelRouteConfig{"old", Strategy::failover, {TargetConfig{"gone", "mock-old"}}});
  first.keys[0].limits.requests_per_minute = 5;
  first.keys.push_back(KeyConfig{"leaving", "sk-leaving-key-0123456789", {}});
  Config second = first;
  second.providers.pop_back();
  second.models.pop_back();
  second.keys.pop_back();
  second.keys[0].limits.requests_per_minute = 3;
  {
    Gateway gateway(ioc.get_executor(), first);
    run_async(ioc, [&]() -> asio::awaitable<void> {
      for (int i = 0; i < 2; ++i) BOOST_REQUIRE(co_await gateway.chat(keyed("fast", kClientKey)));
      const auto opened = gateway.provider_stats().at(0).connections_opened;

      auto stream = co_await gateway.chat_stream(keyed("old", "sk-leaving-key-0123456789", true));
      BOOST_REQUIRE(stream);
      auto done = gateway.reload(second);
      BOOST_REQUIRE(done);
      BOOST_TEST(done->changes.size() == 4u);  // provider, route and key removed; key 'test' changed
      BOOST_TEST(done->needs_restart.empty());

      // The old stream goes on to its end on the removed provider.
      std::string text;
      for (;;) {
        auto chunk = co_await stream->next();
        BOOST_REQUIRE(chunk);
        if (!*chunk) break;
        auto c = boost::json::parse(**chunk).as_object();
        const auto& delta = c.at("choices").as_array().at(0).at("delta").as_object();
        if (auto* content = delta.if_contains("content")) text += std::string(content->as_string());
      }
      BOOST_TEST(text.find("Hello from the Switchyard mock provider,") == 0u, text);
      BOOST_TEST(stream->provider() == "gone");
      { ChatStream ending = std::move(*stream); }  // the last request of the old configuration: its generation (and the removed pool) goes

      auto removed_key = co_await gateway.chat(keyed("fast", "sk-leaving-key-0123456789"));
      BOOST_TEST((!removed_key && removed_key.error().code == errc::invalid_key));
      auto removed_route = co_await gateway.chat(keyed("old", kClientKey));
      BOOST_TEST((!removed_route && removed_route.error().code == errc::unknown_model));
      // The lowered limit counts the two requests made before: one more, then 429.
      BOOST_TEST(static_cast<bool>(co_await gateway.chat(keyed("fast", kClientKey))));
      auto limited = co_await gateway.chat(keyed("fast", kClientKey));
      BOOST_TEST((!limited && limited.error().code == errc::rate_limited));

      const auto stats = gateway.provider_stats();
      BOOST_REQUIRE(stats.size() == 1u);
      BOOST_TEST(stats[0].provider == "mock");
      BOOST_TEST(stats[0].connections_opened == opened);  // the same pool: no new connection
      bool found = false;
      for (const auto& t : gateway.target_health()) {
        if (t.provider == "mock" && t.model == "mock-fast") {
          found = true;
          BOOST_TEST(t.requests >= 3u);  // counted before and after the reload
        }
        BOOST_TEST(t.provider != "gone");
      }
      BOOST_TEST(found);
      BOOST_TEST(gateway.metrics_text().find("switchyard_config_reloads_total{result=\"ok\"} 1") != std::string::npos);

      // A config that cannot run is refused and the running one stays.
      Config broken = second;
      broken.models[0].targets[0].provider = "nowhere";
      auto refused = gateway.reload(broken);
      BOOST_REQUIRE(!refused);
      BOOST_TEST(refused.error().find("models[fast].targets[0].provider") != std::string::npos, refused.error());
      BOOST_TEST(gateway.config().providers.size() == 1u);
    }());
    gateway.shutdown();
  }
  mock.stop();
  ioc.run_for(std::chrono::seconds(2));
}
