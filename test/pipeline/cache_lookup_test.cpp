#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "pipeline/cache_lookup.hpp"

using namespace switchyard;

BOOST_AUTO_TEST_SUITE(cache_lookup)

// No route caches yet (the response cache issue plugs in here): every lookup
// is a miss, so every request reaches the router, and no header is added.
BOOST_AUTO_TEST_CASE(every_lookup_is_a_miss_until_a_route_caches) {
  pipeline::CacheLookup cache;
  BOOST_TEST(!cache.enabled());
  server::ResponseHeaders headers;
  const auto body = boost::json::parse(R"({"model":"fast","messages":[{"role":"user","content":"hi"}]})").as_object();
  BOOST_TEST(!cache.find(nullptr, "fast", body, headers).has_value());
  BOOST_TEST(!cache.find(nullptr, "fast", body, headers).has_value());  // the same request twice: still a miss
  BOOST_TEST(headers.lines().empty());
}

BOOST_AUTO_TEST_SUITE_END()
