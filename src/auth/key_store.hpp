#pragma once
// Client keys. Keys are kept only as SHA-256 digests; a presented key is
// hashed and looked up, so the store never holds or compares plain secrets.
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace switchyard::auth {

struct KeyEntry {
  std::string name;
  std::vector<std::string> model_globs;  // empty = all models
  std::size_t index = 0;                 // position in Config::keys (limits and budgets are kept by it)
  const void* owner = nullptr;           // the configuration it belongs to (the Gateway's generation): valid while that is
};

class KeyStore {
 public:
  // `owner` tags every entry (KeyEntry::owner): whose index the entry's `index` is.
  explicit KeyStore(const std::vector<KeyConfig>& keys, const void* owner = nullptr);
  ~KeyStore();

  // Parses "Bearer <key>" (or a bare key from x-api-key) and finds its entry.
  result<const KeyEntry*> authenticate(std::string_view authorization_header) const;

  static bool allows(const KeyEntry& key, std::string_view model) noexcept;

  std::size_t size() const noexcept { return keys_.size(); }

 private:
  // SHA-256 through a digest context fetched once and reused: OpenSSL 3's
  // one-shot SHA256() looks the algorithm up on every call (measured: ~5,500
  // instructions a request, 8% of the gateway's total).
  std::string digest(std::string_view key) const;
  std::unordered_map<std::string, KeyEntry> keys_;  // digest → entry
  struct DigestState;
  std::shared_ptr<DigestState> sha_;
};

}  // namespace switchyard::auth
