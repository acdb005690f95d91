// A client's bearer as a JWT (every byte an attacker's) → the verifier,
// against a fixed RSA and P-256 key set; and the bytes as a JWKS document →
// the key-set parser. No crash, no leak; a forged token is never accepted.
#include "auth/jwks.hpp"
#include "auth/jwt_verifier.hpp"
#include "fuzz_support.hpp"

namespace {
// A P-256 key and an RSA-2048 key (public halves only: nothing can sign for them here).
constexpr const char* kJwks =
    R"({"keys":[{"kty":"EC","kid":"ec-1","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},)"
    R"({"kty":"RSA","kid":"rsa-1","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}]})";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace switchyard;
  static const auth::KeySet keys = *auth::parse_jwks(kJwks);
  static const std::vector<std::string> teams{"search", "ops"};
  JwtConfig config;
  config.issuer = "https://login.example.com/";
  config.audience = "switchyard";
  config.admin_claim = "roles";
  config.admin_values = {"admin"};
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto verdict = auth::verify_jwt(bytes, keys, config, teams, 1'796'000'000);
  if (verdict.identity) __builtin_trap();  // nothing here can be signed by these keys
  (void)auth::looks_like_jwt(bytes);
  (void)auth::parse_jwks(bytes);
  return 0;
}
