#pragma once
// An identity provider's JWT as a client's bearer ([auth.jwt]), sans-io:
// RS256 or ES256 only (never "none", never HS256: a public key is not a
// shared secret), the algorithm the JWKS key is for, its signature checked
// with OpenSSL; `iss` equal to the issuer, `aud` holding the audience,
// `exp` and `nbf` with the configured leeway. What it names: the team (the
// first value of team_claim naming a configured team), the end user
// (user_claim), whether it is an administrator (admin_claim holds one of
// admin_values). Failures say why, never with the token.
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwks.hpp"

namespace switchyard::auth {

inline constexpr std::size_t kMaxJwtBytes = 16 * 1024;

struct JwtIdentity {
  std::string subject;  // sub
  std::string team;     // "" when no configured team is named
  std::string user;     // user_claim's value
  bool admin = false;
};

// Three base64url parts, the first an object: worth verifying as a JWT (not a Switchyard key).
bool looks_like_jwt(std::string_view bearer) noexcept;

struct JwtVerdict {
  result<JwtIdentity> identity;
  bool unknown_kid = false;  // the key set may be stale: worth one refresh
};

// `teams`: the configured teams' names. `now_s`: seconds since the epoch.
JwtVerdict verify_jwt(std::string_view token, const KeySet& keys, const JwtConfig& config, const std::vector<std::string>& teams,
                      std::int64_t now_s);

}  // namespace switchyard::auth
