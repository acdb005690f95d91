#include <boost/test/unit_test.hpp>

#include <map>
#include <random>

#include "routing/target_selector.hpp"

#include <boost/json.hpp>

using namespace switchyard;
using namespace switchyard::routing;
using resilience::CircuitState;

namespace {
std::function<double()> rng(std::uint64_t seed = 7) {
  auto gen = std::make_shared<std::mt19937_64>(seed);
  return [gen] { return std::uniform_real_distribution<double>(0.0, 1.0)(*gen); };
}

struct Fixture {
  std::vector<TargetConfig> configs;
  std::vector<TargetView> views;
  explicit Fixture(std::size_t n) : configs(n), views(n) {
    for (std::size_t i = 0; i < n; ++i) {
      configs[i].provider = "p" + std::to_string(i);
      configs[i].model = "m";
      views[i].config = &configs[i];
    }
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(failover_keeps_config_order_and_skips_open_circuits) {
  Fixture f(3);
  BOOST_TEST(order_targets(Strategy::failover, f.views, {}, rng()) == (std::vector<std::size_t>{0, 1, 2}), boost::test_tools::per_element());
  f.views[0].circuit = CircuitState::open;
  f.views[1].circuit = CircuitState::half_open;
  BOOST_TEST(order_targets(Strategy::failover, f.views, {}, rng()) == (std::vector<std::size_t>{1, 2}), boost::test_tools::per_element());
  f.views[2].health.rate_limited = true;
  BOOST_TEST(order_targets(Strategy::failover, f.views, {}, rng()) == (std::vector<std::size_t>{1, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(capabilities_filter_targets) {
  Fixture f(3);
  f.configs[0].tools = false;
  f.configs[1].images = false;
  f.configs[2].max_context = 1000;
  BOOST_TEST(order_targets(Strategy::failover, f.views, RequestNeeds{true, false, 10}, rng()) == (std::vector<std::size_t>{1, 2}), boost::test_tools::per_element());
  BOOST_TEST(order_targets(Strategy::failover, f.views, RequestNeeds{false, true, 10}, rng()) == (std::vector<std::size_t>{0, 2}), boost::test_tools::per_element());
  BOOST_TEST(order_targets(Strategy::failover, f.views, RequestNeeds{false, false, 5000}, rng()) == (std::vector<std::size_t>{0, 1}), boost::test_tools::per_element());
  BOOST_TEST(order_targets(Strategy::failover, f.views, RequestNeeds{true, true, 5000}, rng()).empty());
  f.configs[0].embeddings = false;  // e.g. an Anthropic target
  BOOST_TEST(order_targets(Strategy::failover, f.views, RequestNeeds{false, false, 10, true}, rng()) == (std::vector<std::size_t>{1, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(weighted_split_follows_the_weights) {
  Fixture f(2);
  f.configs[0].weight = 3;
  f.configs[1].weight = 1;
  auto r = rng(42);
  std::map<std::size_t, int> first;
  for (int i = 0; i < 10000; ++i) {
    auto order = order_targets(Strategy::weighted, f.views, {}, r);
    BOOST_REQUIRE(order.size() == 2u);
    ++first[order[0]];
  }
  BOOST_TEST(first[0] > 7200);
  BOOST_TEST(first[0] < 7800);
}

BOOST_AUTO_TEST_CASE(lowest_cost_and_lowest_latency_choose_right) {
  Fixture f(3);
  f.configs[0].input_price = 5;
  f.configs[0].output_price = 15;
  f.configs[1].input_price = 0.15;
  f.configs[1].output_price = 0.6;
  f.configs[2].input_price = 1;
  f.configs[2].output_price = 2;
  BOOST_TEST(order_targets(Strategy::lowest_cost, f.views, {}, rng()) == (std::vector<std::size_t>{1, 2, 0}), boost::test_tools::per_element());
  f.views[0].health.ewma_ttft_ms = 300;
  f.views[1].health.ewma_ttft_ms = 900;
  f.views[2].health.ewma_ttft_ms = 120;
  BOOST_TEST(order_targets(Strategy::lowest_latency, f.views, {}, rng()) == (std::vector<std::size_t>{2, 0, 1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(health_strategy_prefers_higher_scores) {
  Fixture f(2);
  f.views[0].score = 0.1;
  f.views[1].score = 0.9;
  auto r = rng(1);
  int second_first = 0;
  for (int i = 0; i < 2000; ++i) second_first += order_targets(Strategy::health, f.views, {}, r)[0] == 1;
  BOOST_TEST(second_first > 1700);
}

BOOST_AUTO_TEST_CASE(needs_are_read_from_the_request_body) {
  auto needs = [](std::string_view body) { return needs_of(boost::json::parse(body).as_object()); };
  const auto plain = needs(R"({"model":"m","messages":[{"role":"user","content":"12345678"}]})");
  BOOST_TEST(!plain.tools);
  BOOST_TEST(!plain.images);
  BOOST_TEST(plain.context_tokens == 2u);  // ~4 characters a token
  BOOST_TEST(needs(R"({"messages":[],"tools":[{"type":"function"}]})").tools);
  BOOST_TEST(needs(R"({"messages":[],"functions":[{"name":"f"}]})").tools);
  BOOST_TEST(!needs(R"({"messages":[],"tools":[]})").tools);  // an empty list asks for nothing
  const auto image = needs(R"({"messages":[{"role":"user","content":[{"type":"text","text":"abcd"},{"type":"image_url","image_url":{"url":"x"}}]}]})");
  BOOST_TEST(image.images);
  BOOST_TEST(image.context_tokens == 1u);
  BOOST_TEST(needs(R"({"messages":[{"role":"user","content":"abcd"}],"max_tokens":1000})").context_tokens == 1001u);
  BOOST_TEST(needs(R"({"messages":[],"max_completion_tokens":50})").context_tokens == 50u);
  // Embeddings: the longest input must fit a target's context (each input is embedded alone).
  auto embed = [](std::string_view body) { return needs_of(boost::json::parse(body).as_object(), Operation::embeddings); };
  BOOST_TEST(embed(R"({"input":"12345678"})").embeddings);
  BOOST_TEST(embed(R"({"input":"12345678"})").context_tokens == 2u);
  BOOST_TEST(embed(R"({"input":["1234","123456789012",[1,2,3,4,5]]})").context_tokens == 5u);
  BOOST_TEST(embed(R"({"input":[1,2,3]})").context_tokens == 3u);
  BOOST_TEST(!needs(R"({"input":"x"})").embeddings);
  // Odd shapes count for nothing and never throw.
  const auto odd = needs(R"({"messages":[1,"x",{"content":7},{"content":[1,{"type":3}]}],"tools":"no","max_tokens":-5})");
  BOOST_TEST(!odd.tools);
  BOOST_TEST(odd.context_tokens == 0u);
}
