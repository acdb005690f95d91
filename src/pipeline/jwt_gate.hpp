#pragma once
// A client's bearer that is an identity provider's JWT ([auth.jwt]): verified
// against the provider's current key set (auth::JwksSource), then counted as
// its team's "jwt:<team>" key with the token's user claim as the end user. A
// valid token naming no configured team is 403; a token signed with a kid
// the set lacks asks the source for a fresh set (at most once a minute).
// Shared by every reactor's pipeline (the source is read under its lock).
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "auth/jwks_source.hpp"
#include "auth/jwt_verifier.hpp"
#include "auth/key_store.hpp"

namespace switchyard::pipeline {

struct Identity {
  const auth::KeyEntry* key = nullptr;  // the client key (a JWT: its team's "jwt:<team>")
  std::string user;                     // a JWT's user claim ("" = the request names its end user)
  std::string admin_subject;            // an administrator's JWT: its subject
};

class JwtGate {
 public:
  using Clock = std::function<std::int64_t()>;  // seconds since the epoch
  JwtGate(auth::JwksSource& source, JwtConfig config, Clock now = {});

  // The bearer (after "Bearer ") of a client request, checked against `keys` (its generation's).
  result<Identity> identify(std::string_view token, const auth::KeyStore& keys) const;
  // The subject of a token that marks an administrator (admin_claim); an error otherwise.
  result<std::string> administrator(std::string_view token, const std::vector<std::string>& teams) const;

 private:
  result<auth::JwtIdentity> verify(std::string_view token, const std::vector<std::string>& teams) const;
  auth::JwksSource& source_;
  JwtConfig config_;
  Clock now_;
};

}  // namespace switchyard::pipeline
