#include <boost/test/unit_test.hpp>

#include "auth/key_store.hpp"
#include "pipeline/admission.hpp"

using namespace switchyard;

BOOST_AUTO_TEST_SUITE(admission)

// No limits exist yet (they come with the governance issue): the stage admits
// every authenticated request and adds no header, so answers stay as they were.
BOOST_AUTO_TEST_CASE(without_limits_every_request_is_admitted_and_no_header_added) {
  pipeline::AdmissionControl control;
  const auth::KeyEntry key{"team-a", {}};
  for (const auth::KeyEntry* k : {&key, static_cast<const auth::KeyEntry*>(nullptr)}) {
    server::ResponseHeaders headers;
    auto admitted = control.admit(k, "fast", headers);
    BOOST_TEST(admitted.has_value());
    BOOST_TEST(headers.lines().empty());
  }
}

BOOST_AUTO_TEST_CASE(headers_added_by_a_stage_are_lines_and_refuse_injection) {
  server::ResponseHeaders headers;
  BOOST_TEST(headers.add("x-ratelimit-remaining-requests", "59"));
  BOOST_TEST(!headers.add("x-evil", "1\r\nSet-Cookie: a=b"));
  BOOST_TEST(!headers.add("x-bad\nname", "1"));
  BOOST_TEST(!headers.add("", "1"));
  BOOST_TEST(headers.lines() == "x-ratelimit-remaining-requests: 59\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
