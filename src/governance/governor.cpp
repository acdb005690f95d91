#include "governance/governor.hpp"

#include <atomic>
#include <mutex>

#include <chrono>
#include <cmath>

#include "auth/key_store.hpp"
#include "governance/wall_clock.hpp"
#include "text/utc_time.hpp"

namespace switchyard::governance {

struct Governor::KeyState {
  KeyState(const KeyConfig& c) : config(c), limiter(c.limits) {
    if (c.budget) budget.emplace(*c.budget);
  }
  const KeyConfig config;  // a copy: the state may outlive the configuration it was made for (a reload keeps it)
  // Every worker reactor admits into the same key state: its figures below change under this
  // lock, held for the decision only (no I/O, no wait). All-or-nothing over several windows,
  // a concurrency slot and a budget cannot be one compare-and-swap; keys are distinct, so
  // workers only meet here when they admit the same key at the same moment.
  mutable std::mutex mu;
  KeyLimiter limiter;
  std::optional<KeyBudget> budget;
  double expected_output = 256;  // recent answers' completion tokens (EWMA)
  double cost_usd = 0;
  Usage tokens;
  std::map<std::string, std::uint64_t> rejections;  // by limit ("60 requests per minute", "budget")
  // A reload that changed this key's limits or budget made a new state: tickets admitted
  // here finish there (their slot, tokens and spend count against the limits in force).
  std::weak_ptr<KeyState> successor;
  std::atomic<bool> replaced{false};  // successor is set: read without the lock on the unlimited key's fast path
};

namespace {

// A request's hold on its key: a concurrency slot and reserved tokens.
class KeyTicket final : public AdmissionTicket {
 public:
  KeyTicket(std::shared_ptr<Governor::KeyState> key, std::uint64_t reserved, double reserved_usd, Governor::Clock now)
      : hold_(std::move(key)), key_(*hold_), reserved_(reserved), reserved_usd_(reserved_usd), now_(std::move(now)) {}
  ~KeyTicket() override { finish(Usage{}, 0); }
  void finish(const Usage& used, double cost_usd) noexcept override;

 private:
  std::shared_ptr<Governor::KeyState> hold_;  // a reload may retire the governor before this request ends
  Governor::KeyState& key_;
  std::uint64_t reserved_;
  double reserved_usd_;  // the estimated cost held against the budget until the end
  Governor::Clock now_;
  bool finished_ = false;
};

}  // namespace

// Defined after KeyState: it updates the key's figures.
void KeyTicket::finish(const Usage& used, double cost_usd) noexcept {
  if (finished_) return;
  finished_ = true;
  const Ms now = now_();
  const auto total = static_cast<std::uint64_t>(std::max<std::int64_t>(0, used.total()));
  // The key's current state: a reload may have replaced the one this ticket was admitted by.
  std::shared_ptr<Governor::KeyState> live;
  Governor::KeyState* key = &key_;
  for (;;) {
    std::unique_lock lock(key->mu);
    auto next = key->successor.lock();
    if (!next) break;
    lock.unlock();
    live = std::move(next);
    key = live.get();
  }
  std::lock_guard lock(key->mu);
  key->limiter.finish(reserved_, total, now);
  if (key->budget) {
    key->budget->release(reserved_usd_);
    key->budget->spend(cost_usd, now);
  }
  key->cost_usd += cost_usd;
  key->tokens += used;
  if (used.completion_tokens > 0) key->expected_output = 0.8 * key->expected_output + 0.2 * static_cast<double>(used.completion_tokens);
}

namespace {
constexpr std::size_t kInlineFileChars = 4'000;  // a data: URL (image, PDF): ~1,000 tokens, not its base64 length

// Characters of every string under `v` (and of object keys: `keys`, for
// schemas), but the small labels ("role", "type") that are not prompt text;
// depth bounded like the parser's.
std::size_t text_chars(const boost::json::value& v, bool keys, int depth = 0) {
  if (depth > 64) return 0;
  switch (v.kind()) {
    case boost::json::kind::string: {
      const auto& s = v.get_string();
      return s.size() > kInlineFileChars && std::string_view(s).starts_with("data:") ? kInlineFileChars : s.size();
    }
    case boost::json::kind::array: {
      std::size_t n = 0;
      for (const auto& item : v.get_array()) n += text_chars(item, keys, depth + 1);
      return n;
    }
    case boost::json::kind::object: {
      std::size_t n = 0;
      for (const auto& [k, item] : v.get_object()) {
        if ((k == "role" || k == "type") && item.is_string()) continue;
        n += (keys ? k.size() : 0) + text_chars(item, keys, depth + 1);
      }
      return n;
    }
    default: return 0;
  }
}
}  // namespace

std::uint64_t estimate_prompt_tokens(const boost::json::object& body) {
  std::size_t chars = 0;
  if (const auto* input = body.if_contains("input"); input && !body.contains("messages") && !body.contains("instructions") &&
                                                      input->is_array() && !input->as_array().empty() && !input->as_array()[0].is_object()) {
    for (const auto& item : input->as_array()) {  // embeddings: strings or token id arrays
      if (item.is_string()) chars += item.as_string().size();
      else if (item.is_array()) chars += 4 * item.as_array().size();
      else chars += 4;  // one token id
    }
    return chars / 4;
  }
  for (const char* k : {"messages", "system", "instructions", "input"}) {
    if (const auto* v = body.if_contains(k)) chars += text_chars(*v, false);
  }
  for (const char* k : {"tools", "functions", "response_format", "tool_choice"}) {
    if (const auto* v = body.if_contains(k)) chars += text_chars(*v, true);
  }
  return chars / 4;
}

namespace {
// max_tokens (or max_completion_tokens / max_output_tokens), else `expected_output`; embeddings: 0.
std::uint64_t output_estimate(const boost::json::object& body, std::uint64_t expected_output) {
  std::uint64_t output = expected_output;
  if (body.contains("input") && !body.contains("messages") && !body.contains("instructions")) {
    const auto& input = body.at("input");
    const bool embeddings = input.is_string() || (input.is_array() && (input.as_array().empty() || !input.as_array()[0].is_object()));
    if (embeddings && !body.contains("max_output_tokens")) output = 0;  // embeddings: input only, no output
  }
  for (const char* k : {"max_tokens", "max_completion_tokens", "max_output_tokens"}) {
    if (const auto* v = body.if_contains(k); v && v->is_int64() && v->as_int64() > 0) output = static_cast<std::uint64_t>(v->as_int64());
  }
  return output;
}
}  // namespace

std::uint64_t estimate_tokens(const boost::json::object& body, std::uint64_t expected_output) {
  return estimate_prompt_tokens(body) + output_estimate(body, expected_output);
}

Governor::Governor(const std::vector<KeyConfig>& keys, Clock now) : keys_(keys), now_(std::move(now)) {
  if (!now_) {
    now_ = [] {
      return static_cast<Ms>(governance::wall_now_ms());
    };
  }
  for (const auto& k : keys_) states_.push_back(std::make_shared<KeyState>(k));
}

void Governor::adopt(Governor& previous) {
  const Ms now = now_();
  std::map<std::string_view, std::shared_ptr<KeyState>> before;
  for (const auto& k : previous.states_) before.emplace(k->config.name, k);
  for (auto& k : states_) {
    auto it = before.find(k->config.name);
    if (it == before.end()) continue;
    KeyState& old = *it->second;
    std::lock_guard lock(old.mu);  // workers may be admitting into it now
    if (old.config.limits == k->config.limits && old.config.budget == k->config.budget) {
      k = it->second;  // the very same counters, in-flight slots included
      continue;
    }
    k->limiter.carry_from(old.limiter, now);
    k->limiter.adopt_in_flight(old.limiter.in_flight());  // its running requests finish into the new state
    if (k->budget && old.budget && k->budget->config().period == old.budget->config().period) k->budget->spend(old.budget->spent(now), now);
    if (k->budget && old.budget) k->budget->reserve(old.budget->reserved());
    old.successor = k;
    old.replaced.store(true, std::memory_order_release);
    k->expected_output = old.expected_output;
    k->cost_usd = old.cost_usd;
    k->tokens = old.tokens;
    k->rejections = old.rejections;
  }
}

Governor::~Governor() = default;

namespace {
LimitStatus status_of(const WindowStatus& w) { return LimitStatus{w.limit, w.remaining, std::chrono::milliseconds(w.reset_ms)}; }

std::string utc_text(Ms at) {
  if (at == std::numeric_limits<Ms>::max()) return "never";
  return text::utc_time_text(at / 1000);
}

std::string seconds_text(Ms ms) { return std::to_string(std::max<Ms>(1, (ms + 999) / 1000)); }
}  // namespace

Admission Governor::admit(const auth::KeyEntry* key, const boost::json::object& body) {
  Admission out;
  if (!key || key->index >= states_.size()) return out;
  const KeyState& first = *states_[key->index];
  if (!first.limiter.limited() && !first.budget && !first.replaced.load(std::memory_order_acquire)) return out;
  const Ms now = now_();
  // The key's live state: a reload that changed its limits made a successor, and a worker
  // still on the old configuration admits into it (the new limits count every request).
  std::shared_ptr<KeyState> live = states_[key->index];
  std::unique_lock lock(live->mu);
  while (auto next = live->successor.lock()) {
    lock.unlock();
    live = std::move(next);
    lock = std::unique_lock(live->mu);
  }
  KeyState& k = *live;
  if (!k.limiter.limited() && !k.budget) return out;  // a reload may have left the key unlimited
  if (k.budget && k.budget->exhausted(now)) {
    const double spent = k.budget->spent(now);
    out.refused = budget_refusal_locked(k, spent, now);
    if (spent < k.budget->config().usd) {  // room left, but held by requests in flight: it frees as they end
      out.refused->message = "key '" + k.config.name + "': budget of $" + std::to_string(k.budget->config().usd) + " per " +
                             std::string(to_string(k.budget->config().period)) + ": $" + std::to_string(spent) +
                             " spent and requests in flight may cost $" + std::to_string(k.budget->reserved()) + " more; retry when they end";
      out.refused->retry_after = "1";
    }
  } else {
    // One walk over the body for both: the tokens a limit reserves, the cost a budget reserves.
    const TargetConfig* prices = k.budget && pricer_ ? prices_of(body) : nullptr;
    std::uint64_t prompt = 0, output = 0;
    if (k.limiter.limits_tokens() || prices) {
      prompt = estimate_prompt_tokens(body);
      output = output_estimate(body, static_cast<std::uint64_t>(k.expected_output));
    }
    const std::uint64_t reserved = k.limiter.limits_tokens() ? prompt + output : 0;
    if (auto refusal = k.limiter.admit(reserved, now)) {
      out.refused = refusal_locked(k, *refusal);
    } else {
      const double reserved_usd =
          prices ? (static_cast<double>(prompt) * prices->input_price + static_cast<double>(output) * prices->output_price) / 1e6 : 0;
      if (k.budget) k.budget->reserve(reserved_usd);
      out.ticket = std::make_shared<KeyTicket>(live, reserved, reserved_usd, now_);
    }
  }
  out.requests = status_of(k.limiter.requests(now));
  out.tokens = status_of(k.limiter.tokens(now));
  return out;
}

const TargetConfig* Governor::prices_of(const boost::json::object& body) const {
  const auto* model = body.if_contains("model");
  return model && model->is_string() ? pricer_(model->as_string()) : nullptr;
}

std::uint64_t Governor::reservation(const auth::KeyEntry& key, const boost::json::object& body) const {
  if (key.index >= states_.size()) return 0;
  const KeyState& k = *states_[key.index];
  if (!k.limiter.limits_tokens()) return 0;
  double expected = 0;
  {
    std::lock_guard lock(k.mu);
    expected = k.expected_output;
  }
  return estimate_tokens(body, static_cast<std::uint64_t>(expected));
}

const LimitsConfig* Governor::limits_of(const auth::KeyEntry& key) const {
  return key.index < states_.size() ? &states_[key.index]->config.limits : nullptr;
}

std::optional<BudgetConfig> Governor::budget_of(const auth::KeyEntry& key) const {
  if (key.index >= states_.size()) return std::nullopt;
  return states_[key.index]->config.budget;
}

Error Governor::budget_refusal(const auth::KeyEntry& key, double spent) {
  KeyState& k = *states_.at(key.index);
  std::lock_guard lock(k.mu);
  return budget_refusal_locked(k, spent, now_());
}

Error Governor::budget_refusal_locked(KeyState& k, double spent, Ms now) {
  ++k.rejections["budget"];
  const auto& b = *k.config.budget;
  const Ms resets = b.period == BudgetPeriod::total ? std::numeric_limits<Ms>::max() : period_end(b.period, now);
  Error e = make_error(errc::budget_exceeded, "key '" + k.config.name + "': budget of $" + std::to_string(b.usd) + " per " +
                                                  std::string(to_string(b.period)) + " spent ($" + std::to_string(spent) +
                                                  "); it resets at " + utc_text(resets));
  if (b.period != BudgetPeriod::total) e.retry_after = seconds_text(resets - now);
  return e;
}

Error Governor::refusal(const auth::KeyEntry& key, const LimitRefusal& refusal) {
  KeyState& k = *states_.at(key.index);
  std::lock_guard lock(k.mu);
  return refusal_locked(k, refusal);
}

Error Governor::refusal_locked(KeyState& k, const LimitRefusal& refusal) {
  ++k.rejections[refusal.limit];
  Error e = make_error(errc::rate_limited, "key '" + k.config.name + "': " + refusal.limit +
                                               (refusal.ever ? "" : "; shorten the request or lower max_tokens"));
  if (refusal.ever) e.retry_after = seconds_text(refusal.retry_after_ms);
  return e;
}

void Governor::restore(const Totals& totals) {
  const Ms now = now_();
  bool any = false;
  for (const auto& k : states_) any = any || k->limiter.limited() || k->budget;
  if (!any) return;
  // The minute's bucket: what the last minute used. The hour's and day's windows: slot by
  // slot, when it was used, as they would have counted it without the restart (what was
  // used 50 minutes ago leaves the hour's window in 10 minutes, not in an hour).
  auto preload = [&](Ms window, Ms from, Ms to) {
    const auto used = totals(from, to);
    for (auto& k : states_) {
      auto it = used.find(k->config.name);
      std::lock_guard lock(k->mu);
      if (it != used.end()) k->limiter.preload(window, KeyLimiter::Used{it->second.requests, it->second.tokens}, from, now);
    }
  };
  preload(60'000, now - 60'000, now + 1);
  for (const Ms window : {Ms{3'600'000}, Ms{86'400'000}}) {
    const Ms slot = window / SlidingWindow::kSlots;
    const Ms newest = now / slot;
    for (Ms i = newest - SlidingWindow::kSlots + 1; i <= newest; ++i) preload(window, i * slot, i == newest ? now + 1 : (i + 1) * slot);
  }
  std::map<BudgetPeriod, std::map<std::string, KeyUsage>> by_period;
  for (auto& k : states_) {
    if (!k->budget) continue;
    const auto period = k->budget->config().period;
    if (!by_period.count(period)) {
      const Ms from = period == BudgetPeriod::total ? 0 : period_start(period, now);
      by_period[period] = totals(from, now);
    }
    const auto& spent = by_period[period];
    std::lock_guard lock(k->mu);
    if (auto it = spent.find(k->config.name); it != spent.end()) k->budget->spend(it->second.cost_usd, now);
  }
}

boost::json::object Governor::status(const auth::KeyEntry& key) {
  boost::json::object out{{"key", key.name}};
  if (key.index >= states_.size()) return out;
  KeyState& k = *states_[key.index];
  const Ms now = now_();
  std::lock_guard lock(k.mu);
  if (k.budget) {
    const auto& b = k.budget->config();
    out["budget"] = boost::json::object{{"usd", b.usd}, {"period", to_string(b.period)}, {"spent_usd", k.budget->spent(now)},
                                        {"resets_at", utc_text(k.budget->resets_at(now))}};
  }
  boost::json::object limits;
  for (const auto& [name, w] : k.limiter.windows(now)) {
    limits[name] = boost::json::object{{"limit", w.limit}, {"remaining", w.remaining}, {"reset_ms", w.reset_ms}};
  }
  out["limits"] = std::move(limits);
  return out;
}

boost::json::array Governor::status_all() {
  boost::json::array out;
  for (std::size_t i = 0; i < states_.size(); ++i) {
    const auth::KeyEntry entry{states_[i]->config.name, {}, i};
    out.push_back(status(entry));
  }
  return out;
}

Ms Governor::period_start_of(const auth::KeyEntry& key) {
  const Ms now = now_();
  if (key.index < states_.size() && states_[key.index]->budget) {
    const auto period = states_[key.index]->budget->config().period;
    return period == BudgetPeriod::total ? 0 : period_start(period, now);
  }
  return period_start(BudgetPeriod::month, now);
}

void Governor::write_metrics(observability::PrometheusWriter& out) const {
  out.help("switchyard_limit_rejections_total", "counter", "Requests refused with 429 by a key's limit or budget.");
  for (const auto& k : states_) {
    std::lock_guard lock(k->mu);
    for (const auto& [limit, n] : k->rejections) out.sample("switchyard_limit_rejections_total", {{"key", k->config.name}, {"limit", limit}}, static_cast<double>(n));
  }
  out.help("switchyard_key_cost_usd_total", "counter", "Spend by key with limits or a budget (answers ended, priced at the answering targets' prices).");
  for (const auto& k : states_) {
    std::lock_guard lock(k->mu);
    if (k->limiter.limited() || k->budget) out.sample("switchyard_key_cost_usd_total", {{"key", k->config.name}}, k->cost_usd);
  }
  out.help("switchyard_key_tokens_total", "counter", "Tokens by key (prompt and completion).");
  for (const auto& k : states_) {
    std::lock_guard lock(k->mu);
    if (k->limiter.limited() || k->budget) out.sample("switchyard_key_tokens_total", {{"key", k->config.name}}, static_cast<double>(k->tokens.total()));
  }
}

}  // namespace switchyard::governance
