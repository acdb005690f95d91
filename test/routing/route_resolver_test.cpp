#include <boost/test/unit_test.hpp>

#include "routing/route_resolver.hpp"

using namespace switchyard;
using namespace switchyard::routing;

namespace {
Config config(bool with_default) {
  Config c;
  for (const char* n : {"oai", "openrouter"}) {
    ProviderConfig p;
    p.name = n;
    p.base_url = "https://example.invalid/v1";
    c.providers.push_back(p);
  }
  c.models.push_back(ModelRouteConfig{"fast", Strategy::failover, {{"openrouter", "openai/gpt-4o-mini"}, {"oai", "gpt-4o-mini"}}});
  if (with_default) c.default_provider = "oai";
  return c;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_route_name_resolves_to_its_targets_in_order) {
  const Config c = config(false);
  RouteResolver r(c);
  auto plan = r.resolve("fast");
  BOOST_REQUIRE(plan);
  BOOST_REQUIRE(plan->targets().size() == 2u);
  BOOST_TEST(plan->targets()[0].provider == 1u);
  BOOST_TEST(plan->targets()[0].model == "openai/gpt-4o-mini");
  BOOST_TEST(plan->targets()[1].provider == 0u);
}

BOOST_AUTO_TEST_CASE(provider_slash_model_addresses_one_provider_and_keeps_the_rest_of_the_name) {
  const Config c = config(false);
  RouteResolver r(c);
  auto plan = r.resolve("openrouter/anthropic/claude-3.5-sonnet");
  BOOST_REQUIRE(plan);
  BOOST_REQUIRE(plan->targets().size() == 1u);
  BOOST_TEST(plan->targets()[0].provider == 1u);
  BOOST_TEST(plan->targets()[0].model == "anthropic/claude-3.5-sonnet");
}

BOOST_AUTO_TEST_CASE(unknown_models_are_404_without_a_default_route) {
  const Config c = config(false);
  RouteResolver r(c);
  for (const char* m : {"gpt-5", "nope/gpt-4o", "oai/"}) {
    auto plan = r.resolve(m);
    BOOST_REQUIRE(!plan);
    BOOST_TEST((plan.error().code == errc::unknown_model));
    BOOST_TEST(plan.error().message.find(m) != std::string::npos);
  }
  BOOST_TEST((r.resolve("").error().code == errc::invalid_request));
}

BOOST_AUTO_TEST_CASE(the_default_route_takes_unknown_models_as_they_are) {
  const Config c = config(true);
  RouteResolver r(c);
  auto plan = r.resolve("gpt-5");
  BOOST_REQUIRE(plan);
  BOOST_TEST(plan->targets()[0].provider == 0u);
  BOOST_TEST(plan->targets()[0].model == "gpt-5");
  // configured routes and explicit providers still win
  BOOST_TEST(r.resolve("fast")->targets().size() == 2u);
  BOOST_TEST(r.resolve("openrouter/x")->targets()[0].provider == 1u);
}

BOOST_AUTO_TEST_CASE(lists_route_names) {
  const Config c = config(false);
  RouteResolver r(c);
  BOOST_TEST(r.model_names() == std::vector<std::string>{"fast"}, boost::test_tools::per_element());
}
