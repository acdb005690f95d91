#include "providers/key_pool.hpp"

#include "providers/sigv4_signer.hpp"

#include <algorithm>

namespace switchyard::providers {

using governance::SlidingWindow;
using governance::TokenBucket;

struct KeyPool::Windows {
  std::optional<TokenBucket> rpm, tpm;
  std::optional<SlidingWindow> rph, rpd, tph, tpd;
  explicit Windows(const LimitsConfig& l) {
    if (l.requests_per_minute) rpm.emplace(l.requests_per_minute, 60'000);
    if (l.tokens_per_minute) tpm.emplace(l.tokens_per_minute, 60'000);
    if (l.requests_per_hour) rph.emplace(l.requests_per_hour, 3'600'000);
    if (l.requests_per_day) rpd.emplace(l.requests_per_day, 86'400'000);
    if (l.tokens_per_hour) tph.emplace(l.tokens_per_hour, 3'600'000);
    if (l.tokens_per_day) tpd.emplace(l.tokens_per_day, 86'400'000);
  }
  template <class W>
  static bool fits(std::optional<W>& w, double cost, std::int64_t now) {
    return !w || !w->wait_for(cost, now);
  }
  template <class W>
  static void take(std::optional<W>& w, double cost, std::int64_t now) {
    if (w) w->take(cost, now);
  }
};

std::string KeyPool::fingerprint(std::string_view key) { return sha256_hex(key).substr(0, 8); }

KeyPool::KeyPool(const std::vector<ProviderKey>& keys, std::int64_t cooldown_ms) : cooldown_ms_(cooldown_ms) {
  for (const auto& k : keys) {
    if (keys_.size() == kMaxKeys) break;
    Key key;
    key.secret = k.key;
    key.fingerprint = fingerprint(k.key);
    key.weight = k.weight > 0 ? k.weight : 1;
    key.limits = k.limits;
    if (k.limits.any()) key.windows = std::make_shared<Windows>(k.limits);
    keys_.push_back(std::move(key));
  }
}

bool KeyPool::at_limit(Key& k, std::int64_t now, double tokens) const {
  if (!k.windows) return false;
  auto& w = *k.windows;
  return !(Windows::fits(w.rpm, 1, now) && Windows::fits(w.rph, 1, now) && Windows::fits(w.rpd, 1, now) &&
           Windows::fits(w.tpm, tokens, now) && Windows::fits(w.tph, tokens, now) && Windows::fits(w.tpd, tokens, now));
}

std::optional<KeyPool::Pick> KeyPool::pick(std::int64_t now, std::uint64_t tried, double tokens) {
  std::lock_guard lock(mu_);
  double total = 0;
  Key* best = nullptr;
  std::size_t best_index = 0;
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    auto& k = keys_[i];
    if ((tried >> i) & 1u) continue;
    if (k.set_aside_until > now || k.resting_until > now || at_limit(k, now, tokens)) continue;
    k.current += k.weight;
    total += k.weight;
    if (!best || k.current > best->current) {
      best = &k;
      best_index = i;
    }
  }
  if (!best) return std::nullopt;
  best->current -= total;
  ++best->requests;
  if (best->windows) {
    auto& w = *best->windows;
    Windows::take(w.rpm, 1, now);
    Windows::take(w.rph, 1, now);
    Windows::take(w.rpd, 1, now);
    Windows::take(w.tpm, tokens, now);
    Windows::take(w.tph, tokens, now);
    Windows::take(w.tpd, tokens, now);
  }
  if (best->set_aside_until != 0 && best->set_aside_until <= now) best->set_aside_until = 0;  // its cooldown is over: tried again
  return Pick{best_index, best->secret, best->fingerprint, best->limits};
}

bool KeyPool::refused(std::size_t index, std::int64_t now) {
  std::lock_guard lock(mu_);
  if (index >= keys_.size()) return false;
  auto& k = keys_[index];
  ++k.refusals;
  k.set_aside_until = now + cooldown_ms_;
  const bool first = !k.set_aside_logged;
  k.set_aside_logged = true;
  return first;
}

void KeyPool::throttled(std::size_t index, std::int64_t now, std::int64_t retry_after_ms) {
  std::lock_guard lock(mu_);
  if (index >= keys_.size()) return;
  auto& k = keys_[index];
  ++k.throttles;
  k.resting_until = now + (retry_after_ms > 0 ? std::min<std::int64_t>(retry_after_ms, 3'600'000) : 1'000);
}

void KeyPool::note_refusal(std::size_t index, std::string reason) {
  std::lock_guard lock(mu_);
  if (index >= keys_.size()) return;
  for (const auto& k : keys_) {  // never a key in what is shown
    for (auto pos = reason.find(k.secret); !k.secret.empty() && pos != std::string::npos; pos = reason.find(k.secret)) reason.replace(pos, k.secret.size(), "[redacted]");
  }
  if (reason.size() > 300) reason.resize(300);
  keys_[index].last_refusal = std::move(reason);
}

void KeyPool::rest(std::size_t index, std::int64_t now, std::int64_t wait_ms) {
  std::lock_guard lock(mu_);
  if (index < keys_.size()) keys_[index].resting_until = now + std::clamp<std::int64_t>(wait_ms, 1, 86'400'000);
}

void KeyPool::succeeded(std::size_t index) {
  std::lock_guard lock(mu_);
  if (index < keys_.size()) keys_[index].set_aside_logged = false;  // working again: a later refusal is news
}

std::vector<KeyPool::KeyView> KeyPool::view(std::int64_t now) const {
  std::lock_guard lock(mu_);
  std::vector<KeyView> out;
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    auto& k = const_cast<Key&>(keys_[i]);
    std::string state = "ok";
    if (k.set_aside_until > now) state = "set_aside";
    else if (k.resting_until > now) state = "resting";
    else if (at_limit(k, now, 1)) state = "at_limit";
    out.push_back(KeyView{i, k.fingerprint, k.weight, state, k.requests, k.refusals, k.throttles, k.last_refusal});
  }
  return out;
}

std::vector<std::string> KeyPool::secrets() const {
  std::vector<std::string> out;
  for (const auto& k : keys_) out.push_back(k.secret);
  return out;
}

}  // namespace switchyard::providers
