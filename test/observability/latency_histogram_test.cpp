#include <boost/test/unit_test.hpp>

#include <random>

#include "observability/latency_histogram.hpp"
#include "observability/prometheus.hpp"

using switchyard::observability::LatencyHistogram;

BOOST_AUTO_TEST_CASE(small_values_are_exact) {
  LatencyHistogram h;
  for (std::uint64_t v = 1; v <= 50; ++v) h.record(v);  // below 1024: one bucket per value
  BOOST_TEST(h.count() == 50u);
  BOOST_TEST(h.quantile(0.5) == 25u);
  BOOST_TEST(h.quantile(1.0) == 50u);
  BOOST_TEST(h.min() == 1u);
  BOOST_TEST(h.mean() == 25.5);
}

BOOST_AUTO_TEST_CASE(quantiles_are_within_a_fraction_of_a_percent_over_a_wide_range) {
  LatencyHistogram h;
  std::vector<std::uint64_t> values;
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(11.0, 2.0);  // ~60 µs median, long tail
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<std::uint64_t>(dist(rng)) + 1;
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto exact = values[static_cast<std::size_t>(std::ceil(q * values.size())) - 1];
    const auto got = h.quantile(q);
    BOOST_TEST_CONTEXT("q=" << q << " exact=" << exact << " got=" << got) {
      BOOST_TEST(got >= exact);
      BOOST_TEST(static_cast<double>(got) <= static_cast<double>(exact) * 1.002 + 1);
    }
  }
  BOOST_TEST(h.quantile(1.0) == values.back());
  BOOST_TEST(h.max() == values.back());
}

BOOST_AUTO_TEST_CASE(merge_adds_counts) {
  LatencyHistogram a, b;
  for (int i = 0; i < 100; ++i) a.record(1000);
  for (int i = 0; i < 100; ++i) b.record(3'000'000);
  a.merge(b);
  BOOST_TEST(a.count() == 200u);
  BOOST_TEST(a.quantile(0.25) <= 1001u);
  BOOST_TEST(a.quantile(0.75) >= 3'000'000u);
  BOOST_TEST(a.max() == 3'000'000u);
  a.reset();
  BOOST_TEST(a.count() == 0u);
  BOOST_TEST(a.quantile(0.5) == 0u);
}

BOOST_AUTO_TEST_CASE(huge_values_do_not_overflow) {
  LatencyHistogram h;
  h.record(UINT64_MAX / 2);
  h.record(UINT64_MAX);
  BOOST_TEST(h.quantile(1.0) == UINT64_MAX);
}

// The Prometheus histograms' quantiles (the dashboard's p50/p95): interpolated inside the bucket.
BOOST_AUTO_TEST_CASE(fixed_histogram_quantiles_interpolate_inside_the_bucket) {
  switchyard::observability::FixedHistogram h{0.01, 0.1, 1};
  BOOST_TEST(h.quantile(0.5) == 0.0);  // empty
  for (int i = 0; i < 50; ++i) h.observe(0.005);  // bucket ≤ 10 ms
  for (int i = 0; i < 50; ++i) h.observe(0.05);   // bucket ≤ 100 ms
  BOOST_TEST(h.quantile(0.5) == 0.01, boost::test_tools::tolerance(1e-9));   // the 50th of 100: the first bucket's top
  BOOST_TEST(h.quantile(0.75) == 0.055, boost::test_tools::tolerance(1e-9));  // half way into the second
  h.observe(5);  // past the last bound
  BOOST_TEST(h.quantile(1.0) == 1.0, boost::test_tools::tolerance(1e-9));
}
