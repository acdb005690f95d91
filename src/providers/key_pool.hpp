#pragma once
// A provider's several API keys (api_keys = [...] or [[providers.keys]]):
// which key the next request uses, sans-io (time comes in as milliseconds).
//   - by weight: smooth weighted round robin (nginx's), so 3:1 is
//     A A B A A A B A ..., never a run of one key;
//   - a key the provider refused (401/403) is set aside for a cooldown,
//     then tried again; a key answered 429 rests until its Retry-After (or
//     a second); a key at its declared limits (requests/tokens per
//     minute/hour/day) is skipped before the provider says 429;
//   - keys a request already tried are skipped, so a refusal moves that
//     request to the next key before the router fails over elsewhere.
// Shared by every worker reactor's client of the provider: the decisions
// are bookkeeping under one lock, never held across a wait. Keys are shown
// by index and fingerprint (the first 8 hex digits of their SHA-256), never
// as themselves.
#include <switchyard/config.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "governance/rate_window.hpp"

namespace switchyard::providers {

class KeyPool {
 public:
  static constexpr std::size_t kMaxKeys = 64;
  static constexpr std::int64_t kDefaultCooldownMs = 60'000;  // a refused key is tried again after this

  explicit KeyPool(const std::vector<ProviderKey>& keys, std::int64_t cooldown_ms = kDefaultCooldownMs);

  struct Pick {
    std::size_t index;
    std::string key;
    std::string fingerprint;
    LimitsConfig limits;  // the key's declared limits (for the shared count)
  };
  // The key for a request now; `tried`: a bit per key this request already
  // used; `tokens`: the request's estimated tokens (for token limits).
  // nullopt when every untried key is set aside, resting or at its limits.
  std::optional<Pick> pick(std::int64_t now_ms, std::uint64_t tried, double tokens);
  // The provider refused the key (401/403): set aside; true the first time (to log once).
  bool refused(std::size_t index, std::int64_t now_ms);
  // The provider answered 429 with this key: it rests `retry_after_ms` (0: a second).
  void throttled(std::size_t index, std::int64_t now_ms, std::int64_t retry_after_ms);
  void succeeded(std::size_t index);
  // The key's limits, counted across replicas, cannot take a request for `wait_ms`: it rests (not a 429).
  void rest(std::size_t index, std::int64_t now_ms, std::int64_t wait_ms);
  // The provider refused the key (401/403) and said why: kept (redacted, cut) for /v1/providers.
  void note_refusal(std::size_t index, std::string reason);

  struct KeyView {
    std::size_t index;
    std::string fingerprint;
    double weight;
    std::string state;  // "ok", "set_aside", "resting", "at_limit"
    std::uint64_t requests, refusals, throttles;
    std::string last_refusal;  // what the provider said the last time it refused the key
  };
  std::vector<KeyView> view(std::int64_t now_ms) const;
  std::size_t size() const noexcept { return keys_.size(); }
  std::vector<std::string> secrets() const;  // for redaction

  static std::string fingerprint(std::string_view key);

 private:
  struct Windows;
  struct Key {
    std::string secret;
    std::string fingerprint;
    double weight = 1;
    double current = 0;  // smooth weighted round robin
    std::int64_t set_aside_until = 0, resting_until = 0;
    bool set_aside_logged = false;
    std::uint64_t requests = 0, refusals = 0, throttles = 0;
    std::string last_refusal;
    LimitsConfig limits;
    std::shared_ptr<Windows> windows;  // null without limits
  };
  bool at_limit(Key& k, std::int64_t now, double tokens) const;

  mutable std::mutex mu_;
  std::vector<Key> keys_;
  std::int64_t cooldown_ms_;
};

}  // namespace switchyard::providers
