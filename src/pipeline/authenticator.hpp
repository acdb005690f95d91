#pragma once
// Stage 1 of a request: who is calling. Decided from the head alone, before a
// byte of the body is read: a client key (any endpoint that serves or lists
// models), the admin key (/v1/providers, later /admin), or nothing (health,
// metrics). The admin key is compared in constant time.
#include <switchyard/error.hpp>

#include "pipeline/jwt_gate.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace switchyard::auth {
struct KeyEntry;
}

namespace switchyard::pipeline {

enum class Access { open, client_key, admin_key };

class Authenticator {
 public:
  // `client_keys` checks "Bearer <key>" (or a bare key, or a JWT) against the current configuration's keys (ChatPipeline::authenticate).
  using ClientKeys = std::function<result<Identity>(std::string_view authorization)>;
  // An administrator's JWT ([auth.jwt] admin_claim): its subject, or why not. Empty: only the admin key.
  using JwtAdmin = std::function<result<std::string>(std::string_view token)>;
  // `pin`: holds the configuration a key entry belongs to (ChatPipeline::pin), taken before the key is checked.
  using Pin = std::function<std::shared_ptr<const void>()>;
  Authenticator(ClientKeys client_keys, std::string admin_key, Pin pin = {}, JwtAdmin jwt_admin = {});

  // What keeps the entries check() hands out valid (the request holds it to its end).
  std::shared_ptr<const void> pin() const { return pin_ ? pin_() : nullptr; }

  // Who called: the client key (and a JWT's end user) for Access::client_key, the admin
  // (a JWT's subject, or the admin key) for admin_key. `what` names the endpoint in the errors.
  result<Identity> check(Access access, std::string_view authorization, std::string_view what) const;

 private:
  ClientKeys client_keys_;
  std::string admin_key_;
  Pin pin_;
  JwtAdmin jwt_admin_;
};

}  // namespace switchyard::pipeline
