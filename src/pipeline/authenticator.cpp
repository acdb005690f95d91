#include "pipeline/authenticator.hpp"

#include <boost/beast/core/string.hpp>

#include <openssl/crypto.h>

#include "auth/jwt_verifier.hpp"

namespace switchyard::pipeline {

Authenticator::Authenticator(ClientKeys client_keys, std::string admin_key, Pin pin, JwtAdmin jwt_admin)
    : client_keys_(std::move(client_keys)), admin_key_(std::move(admin_key)), pin_(std::move(pin)), jwt_admin_(std::move(jwt_admin)) {}

result<Identity> Authenticator::check(Access access, std::string_view authorization, std::string_view what) const {
  switch (access) {
    case Access::open:
      return Identity{};
    case Access::client_key:
      return client_keys_(authorization);
    case Access::admin_key: {
      std::string_view presented = authorization;
      if (presented.size() > 7 && boost::beast::iequals(presented.substr(0, 7), "Bearer ")) presented.remove_prefix(7);
      if (jwt_admin_ && auth::looks_like_jwt(presented)) {
        auto subject = jwt_admin_(presented);
        if (!subject) return subject.error();
        return Identity{nullptr, {}, std::move(*subject)};
      }
      if (admin_key_.empty()) return make_error(errc::not_found, "set [server] admin_key to enable " + std::string(what));
      if (presented.size() != admin_key_.size() || CRYPTO_memcmp(presented.data(), admin_key_.data(), admin_key_.size()) != 0) {
        return make_error(errc::invalid_key, "the admin key is required for " + std::string(what));
      }
      return Identity{};
    }
  }
  return make_error(errc::internal, "unknown access rule");
}

}  // namespace switchyard::pipeline
