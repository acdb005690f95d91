#include <boost/test/unit_test.hpp>

#include "resilience/retry_policy.hpp"

using namespace switchyard;
using namespace switchyard::resilience;

namespace {
Error status(int s) {
  Error e = make_error(errc::upstream_status, "x", "p");
  e.upstream_status = s;
  return e;
}
}  // namespace

BOOST_AUTO_TEST_CASE(retryable_and_not) {
  for (int s : {429, 500, 502, 503, 504, 529}) BOOST_TEST_CONTEXT(s) { BOOST_TEST(is_retryable(status(s))); }
  for (int s : {400, 401, 403, 404, 413, 422}) BOOST_TEST_CONTEXT(s) { BOOST_TEST(!is_retryable(status(s))); }
  for (errc c : {errc::upstream_connect, errc::upstream_reset, errc::upstream_timeout, errc::pool_exhausted}) {
    BOOST_TEST(is_retryable(make_error(c, "x")));
  }
  for (errc c : {errc::invalid_request, errc::cancelled, errc::unknown_model, errc::invalid_key}) {
    BOOST_TEST(!is_retryable(make_error(c, "x")));
  }
}

BOOST_AUTO_TEST_CASE(what_counts_against_a_target) {
  BOOST_TEST(counts_against_target(status(503)));
  BOOST_TEST(counts_against_target(status(429)));
  BOOST_TEST(counts_against_target(status(401)));  // our credentials refused: the target is unusable
  BOOST_TEST(!counts_against_target(status(400)));
  BOOST_TEST(!counts_against_target(make_error(errc::cancelled, "x")));
}

BOOST_AUTO_TEST_CASE(backoff_is_full_jitter_under_an_exponential_cap) {
  RetryConfig c;
  c.base_backoff = Millis(100);
  c.max_backoff = Millis(1000);
  BOOST_TEST(backoff(c, 0, 0.0).count() == 0);
  BOOST_TEST(backoff(c, 0, 0.5).count() == 50);
  BOOST_TEST(backoff(c, 1, 0.5).count() == 100);
  BOOST_TEST(backoff(c, 3, 0.999).count() <= 799);
  BOOST_TEST(backoff(c, 10, 0.999).count() <= 1000);  // capped
  BOOST_TEST(backoff(c, 10, 0.5).count() == 500);
}

BOOST_AUTO_TEST_CASE(retry_after_seconds) {
  BOOST_TEST(parse_retry_after("2")->count() == 2000);
  BOOST_TEST(parse_retry_after(" 0.5 ")->count() == 500);
  BOOST_TEST(!parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
  BOOST_TEST(!parse_retry_after("-1"));
}
