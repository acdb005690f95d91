#include "auth/key_store.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

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

KeyStore::KeyStore(const std::vector<KeyConfig>& keys, const void* owner) : sha_(std::make_shared<DigestState>()) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    keys_.emplace(digest(keys[i].key), KeyEntry{keys[i].name, keys[i].models, i, owner});
  }
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
  return &it->second;
}

bool KeyStore::allows(const KeyEntry& key, std::string_view model) noexcept {
  if (key.model_globs.empty()) return true;
  for (const auto& g : key.model_globs) {
    if (glob_match(g, model)) return true;
  }
  return false;
}

}  // namespace switchyard::auth
