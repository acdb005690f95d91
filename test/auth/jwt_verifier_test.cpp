// JWT verification ([auth.jwt]) against a JWKS: what is accepted and, above
// all, what is refused (expired, not yet valid, another issuer or audience,
// an unknown kid, alg "none", HS256 signed with the public key as the
// secret, a tampered claim, an algorithm that is not its key's).
#include <boost/test/unit_test.hpp>

#include "auth/jwks.hpp"
#include "auth/jwt_verifier.hpp"
#include "support/jwt_signer.hpp"

using namespace switchyard;
using namespace switchyard::auth;

namespace {
constexpr std::int64_t kNow = 1'796'000'000;
const std::vector<std::string> kTeams{"search", "ops"};

struct Fixture {
  test::TestIdp idp;
  KeySet keys = *parse_jwks(idp.jwks());
  JwtConfig config = test::test_jwt_config();
  JwtVerdict verify(const std::string& token, std::int64_t now = kNow) { return verify_jwt(token, keys, config, kTeams, now); }
};

std::string message(const JwtVerdict& v) { return v.identity ? std::string("accepted") : v.identity.error().message; }
}  // namespace

BOOST_AUTO_TEST_SUITE(jwt_verifier)

BOOST_AUTO_TEST_CASE(rs256_and_es256_tokens_name_the_team_the_user_and_the_subject) {
  Fixture f;
  for (const char* alg : {"RS256", "ES256"}) {
    auto v = f.verify(f.idp.token("alice@example.com", {"eng", "search", "ops"}, kNow, alg));
    BOOST_REQUIRE_MESSAGE(v.identity, alg << ": " << message(v));
    BOOST_TEST(v.identity->team == "search");  // the first value naming a configured team
    BOOST_TEST(v.identity->user == "alice@example.com");
    BOOST_TEST(v.identity->subject == "alice@example.com");
    BOOST_TEST(!v.identity->admin);
  }
  auto none = f.verify(f.idp.token("bob", {"eng"}, kNow));  // valid, but no configured team: the caller says 403
  BOOST_REQUIRE(none.identity);
  BOOST_TEST(none.identity->team.empty());
}

BOOST_AUTO_TEST_CASE(time_issuer_and_audience_are_checked_with_leeway) {
  Fixture f;
  const auto token = f.idp.token("alice", {"search"}, kNow);  // exp = kNow + 3600
  BOOST_TEST(f.verify(token, kNow + 3600 + 59).identity.has_value());  // within the 60 s leeway
  auto expired = f.verify(token, kNow + 3600 + 61);
  BOOST_TEST(message(expired) == "invalid token: it expired");
  BOOST_TEST((expired.identity.error().code == errc::invalid_key));
  auto future = f.idp.sign({{"alg", "RS256"}, {"kid", "rsa-1"}}, {{"iss", f.config.issuer}, {"aud", "switchyard"}, {"exp", kNow + 7200}, {"nbf", kNow + 120}});
  BOOST_TEST(message(f.verify(future)) == "invalid token: it is not valid yet (nbf)");
  BOOST_TEST(message(f.verify(f.idp.token("a", {"search"}, kNow, "RS256", "", "https://evil.example/"))) ==
             "invalid token: it was not issued by https://login.example.com/");
  BOOST_TEST(message(f.verify(f.idp.token("a", {"search"}, kNow, "RS256", "", f.config.issuer, "other"))) == "invalid token: its audience is not switchyard");
  auto aud_list = f.idp.sign({{"alg", "ES256"}, {"kid", "ec-1"}}, {{"iss", f.config.issuer}, {"aud", boost::json::array{"x", "switchyard"}}, {"exp", kNow + 60}, {"groups", "ops"}});
  BOOST_TEST(f.verify(aud_list).identity->team == "ops");
  auto no_exp = f.idp.sign({{"alg", "RS256"}, {"kid", "rsa-1"}}, {{"iss", f.config.issuer}, {"aud", "switchyard"}});
  BOOST_TEST(message(f.verify(no_exp)) == "invalid token: it has no expiry (exp)");
}

BOOST_AUTO_TEST_CASE(forged_tokens_are_refused) {
  Fixture f;
  const boost::json::object claims{{"iss", f.config.issuer}, {"aud", "switchyard"}, {"sub", "mallory"}, {"groups", "search"}, {"exp", kNow + 60}};
  BOOST_TEST(message(f.verify(f.idp.sign({{"alg", "none"}, {"kid", "rsa-1"}}, claims))) == "invalid token: the algorithm must be RS256 or ES256");
  // HS256 with the RSA public key's JWK as the HMAC secret (the classic confusion attack).
  const auto hs = f.idp.sign({{"alg", "HS256"}, {"kid", "rsa-1"}}, claims, boost::json::serialize(f.idp.rsa_jwk("rsa-1")));
  BOOST_TEST(message(f.verify(hs)) == "invalid token: the algorithm must be RS256 or ES256");
  // ES256 claimed for the RSA key.
  BOOST_TEST(message(f.verify(f.idp.sign({{"alg", "ES256"}, {"kid", "rsa-1"}}, claims))) == "invalid token: its algorithm is not its key's");
  // A claim changed after signing.
  auto token = f.idp.token("alice", {"ops"}, kNow);
  const auto a = token.find('.'), b = token.rfind('.');
  boost::json::object changed{{"iss", f.config.issuer}, {"aud", "switchyard"}, {"sub", "alice"}, {"groups", "search"}, {"iat", kNow}, {"exp", kNow + 3600}};
  const auto tampered = token.substr(0, a + 1) + test::TestIdp::part(changed) + token.substr(b);
  BOOST_TEST(message(f.verify(tampered)) == "invalid token: the signature does not verify");
  // Another provider's key, same kid.
  test::TestIdp other;
  BOOST_TEST(message(f.verify(other.token("alice", {"search"}, kNow))) == "invalid token: the signature does not verify");
  // An unknown kid asks for a refresh.
  auto unknown = f.verify(f.idp.token("alice", {"search"}, kNow, "RS256", "rsa-2"));
  BOOST_TEST(unknown.unknown_kid);
  BOOST_TEST(message(unknown).find("kid") != std::string::npos);
  for (const char* junk : {"", "eyJ", "eyJhbGciOiJSUzI1NiJ9.e30", "eyJ....", "eyJhbGciOiJSUzI1NiJ9.!!!.abc", "not.a.jwt"}) {
    BOOST_TEST(!f.verify(junk).identity, junk);
  }
}

BOOST_AUTO_TEST_CASE(administrators_are_marked_by_a_claim) {
  Fixture f;
  f.config.admin_claim = "roles";
  f.config.admin_values = {"gateway-admin"};
  auto admin = f.idp.sign({{"alg", "RS256"}, {"kid", "rsa-1"}},
                          {{"iss", f.config.issuer}, {"aud", "switchyard"}, {"sub", "root"}, {"roles", boost::json::array{"x", "gateway-admin"}}, {"exp", kNow + 60}});
  BOOST_TEST(f.verify(admin).identity->admin);
  BOOST_TEST(!f.verify(f.idp.token("alice", {"search"}, kNow)).identity->admin);
}

BOOST_AUTO_TEST_CASE(a_jwks_keeps_only_signing_keys_it_can_use) {
  test::TestIdp idp;
  auto doc = boost::json::object{{"keys", boost::json::array{idp.rsa_jwk("a"), idp.ec_jwk("b"), {{"kty", "oct"}, {"kid", "c"}, {"k", "c2VjcmV0"}},
                                                             {{"kty", "RSA"}, {"kid", "d"}, {"use", "enc"}, {"n", "AQAB"}, {"e", "AQAB"}},
                                                             {{"kty", "RSA"}, {"kid", "e"}, {"n", "AQAB"}, {"e", "AQAB"}}}}};
  auto keys = parse_jwks(boost::json::serialize(doc));
  BOOST_REQUIRE(keys);
  BOOST_TEST(keys->keys.size() == 2u);
  BOOST_TEST(keys->find("a")->alg == "RS256");
  BOOST_TEST(keys->find("b")->alg == "ES256");
  BOOST_TEST(!keys->find("c"));
  BOOST_TEST(!parse_jwks("{}"));
  BOOST_TEST(!parse_jwks(R"({"keys":[{"kty":"oct","k":"eA"}]})"));
  BOOST_TEST(!parse_jwks("not json"));
}

BOOST_AUTO_TEST_SUITE_END()
