#include "auth/key_store.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "auth/glob.hpp"

namespace switchyard::auth {

struct KeyStore::DigestState {
  EVP_MD* md = nullptr;
  EVP_MD_CTX* ctx = nullptr;
  DigestState() : md(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx(EVP_MD_CTX_new()) {
    if (!md || !ctx) throw std::runtime_error("OpenSSL: SHA-256 unavailable");
  }
  ~DigestState() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
};

KeyStore::~KeyStore() = default;

KeyStore::KeyStore(const std::vector<KeyConfig>& keys, const void* owner, const std::vector<TeamConfig>& teams, WallClock now)
    : sha_(std::make_shared<DigestState>()), now_(std::move(now)) {
  for (const auto& t : teams) team_names_.push_back(t.name);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto& k = keys[i];
    KeyEntry entry{k.name, k.models, i, owner};
    entry.valid_until_ms = k.expires_at_ms;
    for (std::size_t t = 0; t < teams.size() && !k.team.empty(); ++t) {
      if (teams[t].name != k.team) continue;
      entry.team = k.team;
      entry.team_index = t;
      entry.team_globs = teams[t].models;
    }
    if (k.jwt) {
      jwt_entries_.emplace(k.team, std::move(entry));
      continue;
    }
    if (!k.previous_sha256.empty()) {  // a rotated key's old secret: until its grace ends (or the key's own end)
      KeyEntry old = entry;
      old.valid_until_ms = k.expires_at_ms ? std::min(k.expires_at_ms, k.previous_until_ms) : k.previous_until_ms;
      keys_.emplace(k.previous_sha256, std::move(old));
    }
    keys_.emplace(k.key.empty() ? k.key_sha256 : digest(k.key), std::move(entry));
  }
}

std::string KeyStore::sha256(std::string_view key) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  unsigned int len = 0;
  if (EVP_Digest(key.data(), key.size(), reinterpret_cast<unsigned char*>(out.data()), &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL: SHA-256 failed");
  }
  return out;
}

std::string KeyStore::digest(std::string_view key) const {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(sha_->ctx, sha_->md, nullptr) != 1 || EVP_DigestUpdate(sha_->ctx, key.data(), key.size()) != 1 ||
      EVP_DigestFinal_ex(sha_->ctx, reinterpret_cast<unsigned char*>(out.data()), &len) != 1) {
    throw std::runtime_error("OpenSSL: SHA-256 failed");
  }
  return out;
}

result<const KeyEntry*> KeyStore::authenticate(std::string_view header) const {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.empty()) {
    return make_error(errc::missing_key, "no API key: send 'Authorization: Bearer <your Switchyard key>'");
  }
  constexpr std::string_view bearer = "Bearer ";
  if (header.size() > bearer.size()) {
    bool is_bearer = true;
    for (std::size_t i = 0; i < bearer.size(); ++i) {
      is_bearer = is_bearer && std::tolower(static_cast<unsigned char>(header[i])) ==
                                   std::tolower(static_cast<unsigned char>(bearer[i]));
    }
    if (is_bearer) {
      header.remove_prefix(bearer.size());
      while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
    }
  }
  auto it = keys_.find(digest(header));
  if (it == keys_.end()) {
    return make_error(errc::invalid_key, "invalid API key");
  }
  if (const auto until = it->second.valid_until_ms; until != 0) {
    const std::int64_t now = now_ ? now_()
                                  : std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (now >= until) return make_error(errc::invalid_key, "API key expired");
  }
  return &it->second;
}

const KeyEntry* KeyStore::jwt_entry(std::string_view team) const {
  auto it = jwt_entries_.find(std::string(team));
  return it == jwt_entries_.end() ? nullptr : &it->second;
}

namespace {
bool any_matches(const std::vector<std::string>& globs, std::string_view model) noexcept {
  if (globs.empty()) return true;
  for (const auto& g : globs) {
    if (glob_match(g, model)) return true;
  }
  return false;
}
}  // namespace

bool KeyStore::allows(const KeyEntry& key, std::string_view model) noexcept {
  return any_matches(key.model_globs, model) && any_matches(key.team_globs, model);
}

}  // namespace switchyard::auth
