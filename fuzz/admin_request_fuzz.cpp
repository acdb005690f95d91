// An admin API body (POST/PATCH /admin/keys and /admin/teams, a rotation) →
// the request readers, for a new record and onto an existing one; and the
// store's documents read back. No crash; what is accepted is bounded.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "fuzz_support.hpp"
#include "org/admin_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace switchyard;
  boost::system::error_code ec;
  auto v = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec || !v.is_object()) return 0;
  const auto& body = v.as_object();
  org::ManagedKey existing;
  existing.name = "ci";
  for (bool create : {true, false}) {
    if (auto k = org::read_key_request(body, existing, create, 1'796'000'000'000)) {
      if (k->models.size() > org::kMaxModels || boost::json::serialize(k->metadata).size() > org::kMaxMetadataBytes) __builtin_trap();
      (void)org::key_from_document(org::key_document(*k));
    }
    if (auto t = org::read_team_request(body, TeamConfig{"ops"}, create)) (void)org::team_from_document(org::team_document(org::ManagedTeam{*t, 0}));
  }
  (void)org::read_rotation(body);
  (void)org::key_from_document(body);
  (void)org::team_from_document(body);
  return 0;
}
