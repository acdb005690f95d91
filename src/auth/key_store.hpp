#pragma once
// Client keys. Keys are kept only as SHA-256 digests; a presented key is
// hashed and looked up, so the store never holds or compares plain secrets.
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace switchyard::auth {

inline constexpr std::size_t kNoTeam = static_cast<std::size_t>(-1);

struct KeyEntry {
  std::string name;
  std::vector<std::string> model_globs;  // empty = all models
  std::size_t index = 0;                 // position in Config::keys (limits and budgets are kept by it)
  const void* owner = nullptr;           // the configuration it belongs to (the Gateway's generation): valid while that is
  std::string team;                      // its team's name ("" = none)
  std::size_t team_index = kNoTeam;      // position in Config::teams
  std::vector<std::string> team_globs;   // the key's team's models (empty = all): both lists must allow a model
  std::int64_t valid_until_ms = 0;       // an expiring key, or a rotated key's old secret in its grace period (0 = no end)
};

class KeyStore {
 public:
  using WallClock = std::function<std::int64_t()>;  // milliseconds since the epoch
  // `owner` tags every entry (KeyEntry::owner): whose index the entry's `index` is. `teams`: the
  // teams keys name (their models narrow the keys'). `now`: for keys that expire (empty: the system clock).
  explicit KeyStore(const std::vector<KeyConfig>& keys, const void* owner = nullptr, const std::vector<TeamConfig>& teams = {},
                    WallClock now = {});
  ~KeyStore();

  // Parses "Bearer <key>" (or a bare key from x-api-key) and finds its entry.
  result<const KeyEntry*> authenticate(std::string_view authorization_header) const;

  static bool allows(const KeyEntry& key, std::string_view model) noexcept;
  // The SHA-256 digest (32 raw bytes) keys are looked up by (what the store keeps of a managed key).
  static std::string sha256(std::string_view key);

  std::size_t size() const noexcept { return keys_.size(); }
  // What a team's JWT bearers are counted as (the config's "jwt:<team>" key); null when none.
  const KeyEntry* jwt_entry(std::string_view team) const;
  const std::vector<std::string>& team_names() const noexcept { return team_names_; }

 private:
  // SHA-256 through a digest context fetched once and reused: OpenSSL 3's
  // one-shot SHA256() looks the algorithm up on every call (measured: ~5,500
  // instructions a request, 8% of the gateway's total).
  std::string digest(std::string_view key) const;
  std::unordered_map<std::string, KeyEntry> keys_;  // digest → entry
  struct DigestState;
  std::shared_ptr<DigestState> sha_;
  WallClock now_;
  std::unordered_map<std::string, KeyEntry> jwt_entries_;  // by team
  std::vector<std::string> team_names_;
};

}  // namespace switchyard::auth
