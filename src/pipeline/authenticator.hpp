#pragma once
// Stage 1 of a request: who is calling. Decided from the head alone, before a
// byte of the body is read: a client key (any endpoint that serves or lists
// models), the admin key (/v1/providers, later /admin), or nothing (health,
// metrics). The admin key is compared in constant time.
#include <switchyard/error.hpp>

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
  // `client_keys` checks "Bearer <key>" (or a bare key) against the current configuration's keys (ChatPipeline::authenticate).
  using ClientKeys = std::function<result<const auth::KeyEntry*>(std::string_view authorization)>;
  // `pin`: holds the configuration a key entry belongs to (ChatPipeline::pin), taken before the key is checked.
  using Pin = std::function<std::shared_ptr<const void>()>;
  Authenticator(ClientKeys client_keys, std::string admin_key, Pin pin = {});

  // What keeps the entries check() hands out valid (the request holds it to its end).
  std::shared_ptr<const void> pin() const { return pin_ ? pin_() : nullptr; }

  // The client key entry for Access::client_key; nullptr for the other kinds
  // when they pass. `what` names the endpoint in the errors ("/v1/providers").
  result<const auth::KeyEntry*> check(Access access, std::string_view authorization, std::string_view what) const;

 private:
  ClientKeys client_keys_;
  std::string admin_key_;
  Pin pin_;
};

}  // namespace switchyard::pipeline
