// GET /admin/sla over the SQLite ledger: the counts of known requests (the
// PostgreSQL ledger runs the same scenario in gateway/shared_store_test.cpp),
// and the report's arithmetic (availability classes, quantiles, CSV).
#include <boost/test/unit_test.hpp>

#include "ledger/sla_report.hpp"
#include "telemetry/sla_scenario.hpp"

using namespace switchyard;
using namespace switchyard::test;

BOOST_AUTO_TEST_SUITE(sla_report)

BOOST_AUTO_TEST_CASE(the_sla_report_counts_exactly_the_requests_made) {
  GatewayHarness h({}, sla::two_routes);
  sla::run(h);
}

BOOST_AUTO_TEST_CASE(availability_leaves_out_what_the_client_caused_and_quantiles_stay_in_their_bucket) {
  ledger::SlaReport r;
  for (int i = 0; i < 97; ++i) r.add_row("fast", 200, "", false, 100, 0, 0.01, 0);
  r.add_row("fast", 502, "upstream_error", false, 30'000, 0, 0, 2);   // a provider's error after failover
  r.add_row("fast", 200, "upstream_stalled", true, 5'000, 400, 0, 0);  // a stream that broke after its head
  r.add_row("fast", 429, "rate_limited", false, 1, 0, 0, 0);          // the key's own limit: the client's
  r.add_row("fast", 499, "cancelled", false, 50, 0, 0, 0);            // the client left
  const auto& f = r.groups().at("fast");
  BOOST_TEST(f.requests == 101u);
  BOOST_TEST(f.available == 97u);
  BOOST_TEST(f.unavailable == 2u);
  BOOST_TEST(f.client_errors == 2u);
  BOOST_TEST(f.failovers == 2);
  const auto p50 = ledger::SlaReport::quantile_ms(f.latency, 0.5);
  BOOST_TEST(p50 > 100 / 1.15);
  BOOST_TEST(p50 <= 100 * 1.15);
  const auto doc = r.json();
  BOOST_TEST(doc.at(0).at("availability").as_double() == 97.0 / 99.0);
  BOOST_TEST(doc.at(0).at("errors").at("upstream_error").to_number<std::int64_t>() == 1);
  BOOST_TEST(r.csv("route").find("\nfast,101,97,2,2,0.979798,2,") != std::string::npos);
  BOOST_TEST(ledger::SlaReport::bucket_of(0) == 0u);
  BOOST_TEST(ledger::SlaReport::bucket_of(1e9) == ledger::SlaReport::kBuckets - 1);
}

BOOST_AUTO_TEST_SUITE_END()
