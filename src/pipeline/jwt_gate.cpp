#include "pipeline/jwt_gate.hpp"

#include <ctime>

#include "auth/jwt_verifier.hpp"

namespace switchyard::pipeline {

JwtGate::JwtGate(auth::JwksSource& source, JwtConfig config, Clock now)
    : source_(source), config_(std::move(config)), now_(now ? std::move(now) : Clock([] { return static_cast<std::int64_t>(std::time(nullptr)); })) {}

result<auth::JwtIdentity> JwtGate::verify(std::string_view token, const std::vector<std::string>& teams) const {
  const auto keys = source_.keys();
  if (!keys) return make_error(errc::invalid_key, "invalid token: the identity provider's keys are not loaded yet (" + source_.last_error() + ")");
  auto verdict = auth::verify_jwt(token, *keys, config_, teams, now_());
  if (verdict.unknown_kid) source_.unknown_kid();
  return std::move(verdict.identity);
}

result<Identity> JwtGate::identify(std::string_view token, const auth::KeyStore& keys) const {
  auto id = verify(token, keys.team_names());
  if (!id) return id.error();
  const auth::KeyEntry* entry = id->team.empty() ? nullptr : keys.jwt_entry(id->team);
  if (!entry) {
    return make_error(errc::forbidden, "the token is valid but its '" + config_.team_claim + "' claim names no team configured here");
  }
  return Identity{entry, std::move(id->user), {}};
}

result<std::string> JwtGate::administrator(std::string_view token, const std::vector<std::string>& teams) const {
  auto id = verify(token, teams);
  if (!id) return id.error();
  if (!id->admin) return make_error(errc::forbidden, "the token does not mark an administrator ('" + config_.admin_claim + "')");
  return id->subject.empty() ? std::string("(no subject)") : id->subject;
}

}  // namespace switchyard::pipeline
