#include "governance/governor.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <unordered_map>

#include <chrono>
#include <cmath>

#include "auth/key_store.hpp"
#include "governance/wall_clock.hpp"
#include "text/utc_time.hpp"

namespace switchyard::governance {

std::string_view to_string(Level level) noexcept {
  switch (level) {
    case Level::key: return "key";
    case Level::team: return "team";
    case Level::user: return "user";
  }
  return "key";
}

struct Governor::Account {
  Account(Level l, std::string n, const LimitsConfig& lim, const std::optional<BudgetConfig>& b)
      : level(l), name(std::move(n)), limits(lim), budget_config(b), limiter(lim) {
    if (b) budget.emplace(*b);
  }
  bool governs() const noexcept { return limiter.limited() || budget.has_value(); }
  // A copy of the settings: the state may outlive the configuration it was made for (a reload keeps it).
  const Level level;
  const std::string name;  // a user's: "team\x1fuser"
  const LimitsConfig limits;
  const std::optional<BudgetConfig> budget_config;
  // Every worker reactor admits into the same account: its figures below change under this
  // lock, held for the decision only (no I/O, no wait). All-or-nothing over several windows,
  // a concurrency slot and a budget cannot be one compare-and-swap; accounts are distinct, so
  // workers only meet here when they admit the same one at the same moment.
  mutable std::mutex mu;
  KeyLimiter limiter;
  std::optional<KeyBudget> budget;
  double expected_output = 256;  // recent answers' completion tokens (EWMA)
  double cost_usd = 0;
  Usage tokens;
  Ms last_used = 0;                  // a user's: under the user table's lock (its forgetting order)
  std::atomic<Ms> last_seen{0};      // a key's last admission (to the second), read without the lock
  std::map<std::string, std::uint64_t> rejections;  // by limit ("60 requests per minute", "budget")
  // A reload that changed the limits or budget made a new account: tickets admitted here
  // finish there (their slot, tokens and spend count against the limits in force).
  std::weak_ptr<Account> successor;
  std::atomic<bool> replaced{false};  // successor is set: read without the lock on the unlimited fast path
  // The end user's label for messages ("user 'alice' of team 'search'").
  std::string label() const {
    if (level != Level::user) return std::string(to_string(level)) + " '" + name + "'";
    const auto cut = name.find('\x1f');
    return "user '" + name.substr(cut + 1) + "' of team '" + name.substr(0, cut) + "'";
  }
};

// End users' accounts by "team\x1fuser": made on a user's first request, bounded (kMaxUsers).
struct Governor::UserTable {
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<Account>> accounts;
  std::atomic<std::uint64_t> forgotten{0};
};

namespace {

// Takes `a`'s lock, following the successors a reload made, so the live account is locked.
std::unique_lock<std::mutex> lock_live(std::shared_ptr<Governor::Account>& a) {
  std::unique_lock lock(a->mu);
  while (auto next = a->successor.lock()) {
    lock.unlock();
    a = std::move(next);
    lock = std::unique_lock(a->mu);
  }
  return lock;
}

// What a request holds of one account: reserved tokens and their estimated cost.
struct Hold {
  std::shared_ptr<Governor::Account> account;
  std::uint64_t reserved = 0;
  double reserved_usd = 0;
};

// A request's hold on its key, team and end user: a concurrency slot, reserved tokens and cost in each.
class AccountTicket final : public AdmissionTicket {
 public:
  AccountTicket(std::vector<Hold> holds, Governor::Clock now) : holds_(std::move(holds)), now_(std::move(now)) {}
  ~AccountTicket() override { finish(Usage{}, 0); }
  void finish(const Usage& used, double cost_usd) noexcept override {
    if (finished_) return;
    finished_ = true;
    const Ms now = now_();
    const auto total = static_cast<std::uint64_t>(std::max<std::int64_t>(0, used.total()));
    for (auto& h : holds_) {
      auto live = h.account;  // a reload may have replaced the account this ticket was admitted by
      auto lock = lock_live(live);
      Governor::Account& a = *live;
      a.limiter.finish(h.reserved, total, now);
      if (a.budget) {
        a.budget->release(h.reserved_usd);
        a.budget->spend(cost_usd, now);
      }
      a.cost_usd += cost_usd;
      a.tokens += used;
      if (used.completion_tokens > 0) a.expected_output = 0.8 * a.expected_output + 0.2 * static_cast<double>(used.completion_tokens);
    }
  }

 private:
  std::vector<Hold> holds_;
  Governor::Clock now_;
  bool finished_ = false;
};

// Makes `next` continue from `old` (a reload changed its settings): what was counted counts on.
void carry_over(Governor::Account& next, Governor::Account& old, Ms now) {
  next.limiter.carry_from(old.limiter, now);
  next.limiter.adopt_in_flight(old.limiter.in_flight());  // its running requests finish into the new state
  if (next.budget && old.budget && next.budget->config().period == old.budget->config().period) next.budget->spend(old.budget->spent(now), now);
  if (next.budget && old.budget) next.budget->reserve(old.budget->reserved());
  next.expected_output = old.expected_output;
  next.cost_usd = old.cost_usd;
  next.tokens = old.tokens;
  next.rejections = old.rejections;
  next.last_used = old.last_used;
  next.last_seen.store(old.last_seen.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

}  // namespace

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

Governor::Governor(const std::vector<KeyConfig>& keys, Clock now) : Governor(keys, {}, std::move(now)) {}

Governor::Governor(const std::vector<KeyConfig>& keys, const std::vector<TeamConfig>& teams, Clock now)
    : keys_(keys), now_(std::move(now)), team_configs_(teams), users_(std::make_shared<UserTable>()) {
  if (!now_) {
    now_ = [] {
      return static_cast<Ms>(governance::wall_now_ms());
    };
  }
  for (const auto& k : keys_) states_.push_back(std::make_shared<Account>(Level::key, k.name, k.limits, k.budget));
  for (const auto& t : teams) teams_.push_back(std::make_shared<Account>(Level::team, t.name, t.limits, t.budget));
}

namespace {
// Takes over `before`'s accounts by name into `accounts` (same settings: the very same counters).
void adopt_accounts(std::vector<std::shared_ptr<Governor::Account>>& accounts, const std::vector<std::shared_ptr<Governor::Account>>& before_list,
                    Ms now) {
  std::map<std::string_view, std::shared_ptr<Governor::Account>> before;
  for (const auto& k : before_list) before.emplace(k->name, k);
  for (auto& k : accounts) {
    auto it = before.find(k->name);
    if (it == before.end()) continue;
    Governor::Account& old = *it->second;
    std::lock_guard lock(old.mu);  // workers may be admitting into it now
    if (old.limits == k->limits && old.budget_config == k->budget_config) {
      k = it->second;  // the very same counters, in-flight slots included
      continue;
    }
    carry_over(*k, old, now);
    old.successor = k;
    old.replaced.store(true, std::memory_order_release);
  }
}
}  // namespace

void Governor::adopt(Governor& previous) {
  const Ms now = now_();
  adopt_accounts(states_, previous.states_, now);
  adopt_accounts(teams_, previous.teams_, now);
  users_ = previous.users_;  // a user whose team's user_limits changed continues in a new account (user_account)
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

std::shared_ptr<Governor::Account> Governor::user_account(std::size_t team, std::string_view user) {
  const TeamConfig& t = team_configs_[team];
  std::string name = t.name;
  name += '\x1f';
  name += user;
  const Ms now = now_();
  std::lock_guard lock(users_->mu);
  auto& slot = users_->accounts[name];
  if (slot && (slot->limits != t.user_limits || slot->budget_config != t.user_budget)) {
    auto next = std::make_shared<Account>(Level::user, name, t.user_limits, t.user_budget);  // the team's user_limits changed
    std::lock_guard old_lock(slot->mu);
    carry_over(*next, *slot, now);
    slot->successor = next;
    slot->replaced.store(true, std::memory_order_release);
    slot = std::move(next);
  }
  if (!slot) slot = std::make_shared<Account>(Level::user, name, t.user_limits, t.user_budget);
  slot->last_used = now;  // (under the table's lock: the sweep reads it there)
  auto out = slot;
  if (users_->accounts.size() > kMaxUsers) {  // forget the idle ones: no request in flight, least recently used first
    std::vector<std::pair<Ms, std::string_view>> idle;
    for (const auto& [n, a] : users_->accounts) {
      if (a.use_count() == 1) idle.emplace_back(a->last_used, n);
    }
    std::sort(idle.begin(), idle.end());
    const std::size_t drop = std::min(idle.size(), kMaxUsers / 10);
    std::vector<std::string> names;
    for (std::size_t i = 0; i < drop; ++i) names.emplace_back(idle[i].second);
    for (const auto& n : names) users_->accounts.erase(n);
    users_->forgotten.fetch_add(drop, std::memory_order_relaxed);
  }
  return out;
}

Admission Governor::admit(const auth::KeyEntry* key, const boost::json::object& body, std::string_view user) {
  Admission out;
  if (!key || key->index >= states_.size()) return out;
  auto governed = [](const std::shared_ptr<Account>& a) { return a->governs() || a->replaced.load(std::memory_order_acquire); };
  std::shared_ptr<Account> chain[3];
  std::size_t n = 0;
  chain[n++] = states_[key->index];
  if (key->team_index < teams_.size()) {
    chain[n++] = teams_[key->team_index];
    const TeamConfig& t = team_configs_[key->team_index];
    if (!user.empty() && (t.user_limits.any() || t.user_budget)) chain[n++] = user_account(key->team_index, user);
  }
  const Ms now = now_();
  if (Account& k = *chain[0]; now - k.last_seen.load(std::memory_order_relaxed) >= 1000) k.last_seen.store(now, std::memory_order_relaxed);
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) any = any || governed(chain[i]);
  if (!any) return out;  // nothing limits this request: the fast path
  // Locked in the order key, team, user (every admission takes them so: no deadlock).
  std::unique_lock<std::mutex> locks[3];
  for (std::size_t i = 0; i < n; ++i) locks[i] = lock_live(chain[i]);
  for (std::size_t i = 0; i < n; ++i) {
    Account& a = *chain[i];
    if (!a.budget || !a.budget->exhausted(now)) continue;
    const double spent = a.budget->spent(now);
    out.refused = budget_refusal_locked(a, spent, now);
    if (spent < a.budget->config().usd) {  // room left, but held by requests in flight: it frees as they end
      out.refused->message = a.label() + ": budget of $" + std::to_string(a.budget->config().usd) + " per " +
                             std::string(to_string(a.budget->config().period)) + ": $" + std::to_string(spent) +
                             " spent and requests in flight may cost $" + std::to_string(a.budget->reserved()) + " more; retry when they end";
      out.refused->retry_after = "1";
    }
    break;
  }
  // One walk over the body for all: the tokens a limit reserves, the cost a budget reserves.
  bool tokens = false, budgets = false;
  for (std::size_t i = 0; i < n; ++i) {
    tokens = tokens || chain[i]->limiter.limits_tokens();
    budgets = budgets || chain[i]->budget.has_value();
  }
  const TargetConfig* prices = !out.refused && budgets && pricer_ ? prices_of(body) : nullptr;
  std::uint64_t prompt = 0, output = 0;
  if (!out.refused && (tokens || prices)) {
    prompt = estimate_prompt_tokens(body);
    output = output_estimate(body, static_cast<std::uint64_t>(chain[0]->expected_output));
  }
  const double reserved_usd =
      prices ? (static_cast<double>(prompt) * prices->input_price + static_cast<double>(output) * prices->output_price) / 1e6 : 0;
  for (std::size_t i = 0; i < n && !out.refused; ++i) {  // every level checked before any takes
    const std::uint64_t reserved = chain[i]->limiter.limits_tokens() ? prompt + output : 0;
    if (auto refusal = chain[i]->limiter.check(reserved, now)) out.refused = refusal_locked(*chain[i], *refusal);
  }
  if (!out.refused) {
    std::vector<Hold> holds;
    for (std::size_t i = 0; i < n; ++i) {
      Account& a = *chain[i];
      const std::uint64_t reserved = a.limiter.limits_tokens() ? prompt + output : 0;
      a.limiter.admit(reserved, now);  // cannot refuse: checked under the same locks
      const double usd = a.budget ? reserved_usd : 0;
      if (a.budget) a.budget->reserve(usd);
      holds.push_back(Hold{chain[i], reserved, usd});
    }
    out.ticket = std::make_shared<AccountTicket>(std::move(holds), now_);
  }
  // The x-ratelimit-* headers: the tightest level's windows.
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = status_of(chain[i]->limiter.requests(now));
    const auto t = status_of(chain[i]->limiter.tokens(now));
    if (r.limit > 0 && (out.requests.limit == 0 || r.remaining < out.requests.remaining)) out.requests = r;
    if (t.limit > 0 && (out.tokens.limit == 0 || t.remaining < out.tokens.remaining)) out.tokens = t;
  }
  return out;
}

const TargetConfig* Governor::prices_of(const boost::json::object& body) const {
  const auto* model = body.if_contains("model");
  return model && model->is_string() ? pricer_(model->as_string()) : nullptr;
}

std::uint64_t Governor::reservation(const auth::KeyEntry& key, const boost::json::object& body) const {
  if (key.index >= states_.size()) return 0;
  const Account& k = *states_[key.index];
  if (!k.limiter.limits_tokens()) return 0;
  double expected = 0;
  {
    std::lock_guard lock(k.mu);
    expected = k.expected_output;
  }
  return estimate_tokens(body, static_cast<std::uint64_t>(expected));
}

const LimitsConfig* Governor::limits_of(const auth::KeyEntry& key) const {
  return key.index < states_.size() ? &states_[key.index]->limits : nullptr;
}

std::optional<BudgetConfig> Governor::budget_of(const auth::KeyEntry& key) const {
  if (key.index >= states_.size()) return std::nullopt;
  return states_[key.index]->budget_config;
}

std::vector<Governor::SharedLevel> Governor::upper_levels(const auth::KeyEntry& key, std::string_view user) const {
  std::vector<SharedLevel> out;
  if (key.team_index >= team_configs_.size()) return out;
  const TeamConfig& t = team_configs_[key.team_index];
  if (t.limits.any() || t.budget) out.push_back(SharedLevel{Level::team, "team:" + t.name, t.limits, t.budget, key.team_index, {}});
  if (!user.empty() && (t.user_limits.any() || t.user_budget)) {
    out.push_back(SharedLevel{Level::user, "user:" + t.name + '\x1f' + std::string(user), t.user_limits, t.user_budget, key.team_index, std::string(user)});
  }
  return out;
}

Error Governor::level_refusal(const SharedLevel& level, const LimitRefusal& refusal) {
  auto account = level.level == Level::team ? teams_.at(level.team) : user_account(level.team, level.user);
  auto lock = lock_live(account);
  return refusal_locked(*account, refusal);
}

Error Governor::level_budget_refusal(const SharedLevel& level, double spent) {
  auto account = level.level == Level::team ? teams_.at(level.team) : user_account(level.team, level.user);
  auto lock = lock_live(account);
  if (!account->budget) return make_error(errc::budget_exceeded, account->label() + ": budget spent");
  return budget_refusal_locked(*account, spent, now_());
}

Error Governor::budget_refusal(const auth::KeyEntry& key, double spent) {
  Account& k = *states_.at(key.index);
  std::lock_guard lock(k.mu);
  return budget_refusal_locked(k, spent, now_());
}

Error Governor::budget_refusal_locked(Account& k, double spent, Ms now) {
  ++k.rejections["budget"];
  const auto& b = *k.budget_config;
  const Ms resets = b.period == BudgetPeriod::total ? std::numeric_limits<Ms>::max() : period_end(b.period, now);
  Error e = make_error(errc::budget_exceeded, k.label() + ": budget of $" + std::to_string(b.usd) + " per " +
                                                  std::string(to_string(b.period)) + " spent ($" + std::to_string(spent) +
                                                  "); it resets at " + utc_text(resets));
  if (b.period != BudgetPeriod::total) e.retry_after = seconds_text(resets - now);
  e.level = to_string(k.level);
  return e;
}

Error Governor::refusal(const auth::KeyEntry& key, const LimitRefusal& refusal) {
  Account& k = *states_.at(key.index);
  std::lock_guard lock(k.mu);
  return refusal_locked(k, refusal);
}

Error Governor::refusal_locked(Account& k, const LimitRefusal& refusal) {
  ++k.rejections[refusal.limit];
  Error e = make_error(errc::rate_limited, k.label() + ": " + refusal.limit +
                                               (refusal.ever ? "" : "; shorten the request or lower max_tokens"));
  if (refusal.ever) e.retry_after = seconds_text(refusal.retry_after_ms);
  e.level = to_string(k.level);
  return e;
}

void Governor::restore_level(const Totals& totals, Level level, const std::vector<std::shared_ptr<Account>>& accounts, Ms now) {
  bool any = false;
  for (const auto& k : accounts) any = any || k->governs();
  if (!any) return;
  // The minute's bucket: what the last minute used. The hour's and day's windows: slot by
  // slot, when it was used, as they would have counted it without the restart (what was
  // used 50 minutes ago leaves the hour's window in 10 minutes, not in an hour).
  auto preload = [&](Ms window, Ms from, Ms to) {
    const auto used = totals(from, to, level);
    for (auto& k : accounts) {
      auto it = used.find(k->name);
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
  for (auto& k : accounts) {
    if (!k->budget) continue;
    const auto period = k->budget->config().period;
    if (!by_period.count(period)) {
      const Ms from = period == BudgetPeriod::total ? 0 : period_start(period, now);
      by_period[period] = totals(from, now, level);
    }
    const auto& spent = by_period[period];
    std::lock_guard lock(k->mu);
    if (auto it = spent.find(k->name); it != spent.end()) k->budget->spend(it->second.cost_usd, now);
  }
}

void Governor::restore(const Totals& totals) {
  const Ms now = now_();
  restore_level(totals, Level::key, states_, now);
  restore_level(totals, Level::team, teams_, now);
  // End users: every user of a team with user_limits seen in the last day (or its budget's period).
  std::vector<std::shared_ptr<Account>> users;
  bool any = false;
  for (const auto& t : team_configs_) any = any || t.user_limits.any() || t.user_budget;
  if (!any) return;
  Ms from = now - 86'400'000;
  for (const auto& t : team_configs_) {
    if (t.user_budget) from = std::min(from, t.user_budget->period == BudgetPeriod::total ? 0 : period_start(t.user_budget->period, now));
  }
  for (const auto& [name, used] : totals(from, now + 1, Level::user)) {
    const auto cut = name.find('\x1f');
    if (cut == std::string::npos || users.size() >= kMaxUsers) continue;
    for (std::size_t t = 0; t < team_configs_.size(); ++t) {
      const auto& team = team_configs_[t];
      if (team.name == std::string_view(name).substr(0, cut) && (team.user_limits.any() || team.user_budget)) users.push_back(user_account(t, name.substr(cut + 1)));
    }
  }
  restore_level(totals, Level::user, users, now);
}

namespace {
// {budget: {usd, period, spent_usd, resets_at}, limits: {name: {limit, remaining, reset_ms}}} of a locked account.
void describe(Governor::Account& k, Ms now, boost::json::object& out, const std::function<std::string(Ms)>& utc) {
  if (k.budget) {
    const auto& b = k.budget->config();
    out["budget"] = boost::json::object{{"usd", b.usd}, {"period", to_string(b.period)}, {"spent_usd", k.budget->spent(now)},
                                        {"resets_at", utc(k.budget->resets_at(now))}};
  }
  boost::json::object limits;
  for (const auto& [name, w] : k.limiter.windows(now)) {
    limits[name] = boost::json::object{{"limit", w.limit}, {"remaining", w.remaining}, {"reset_ms", w.reset_ms}};
  }
  out["limits"] = std::move(limits);
  out["spend_usd"] = k.cost_usd;  // since this process started (the ledger has the history)
  if (const Ms seen = k.last_seen.load(std::memory_order_relaxed); seen > 0) out["last_used_at"] = utc(seen);
}
}  // namespace

boost::json::object Governor::status(const auth::KeyEntry& key) {
  boost::json::object out{{"key", key.name}};
  if (key.index >= states_.size()) return out;
  auto live = states_[key.index];
  auto lock = lock_live(live);
  describe(*live, now_(), out, utc_text);
  return out;
}

boost::json::object Governor::team_status(std::size_t index) {
  boost::json::object out;
  if (index >= teams_.size()) return out;
  out["team"] = teams_[index]->name;
  auto live = teams_[index];
  auto lock = lock_live(live);
  describe(*live, now_(), out, utc_text);
  return out;
}

double Governor::spent_of(std::size_t index) {
  if (index >= states_.size()) return 0;
  auto live = states_[index];
  auto lock = lock_live(live);
  return live->cost_usd;
}

boost::json::array Governor::status_all() {
  boost::json::array out;
  for (std::size_t i = 0; i < states_.size(); ++i) {
    const auth::KeyEntry entry{states_[i]->name, {}, i};
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
    for (const auto& [limit, n] : k->rejections) out.sample("switchyard_limit_rejections_total", {{"key", k->name}, {"limit", limit}}, static_cast<double>(n));
  }
  out.help("switchyard_team_rejections_total", "counter", "Requests refused with 429 by a team's limit or budget (its users' included, level=\"user\").");
  for (const auto& t : teams_) {
    std::lock_guard lock(t->mu);
    for (const auto& [limit, n] : t->rejections) out.sample("switchyard_team_rejections_total", {{"team", t->name}, {"level", "team"}, {"limit", limit}}, static_cast<double>(n));
  }
  {
    std::map<std::pair<std::string, std::string>, std::uint64_t> by_team;  // users' refusals, added up per team (users are not labels)
    std::lock_guard table(users_->mu);
    for (const auto& [name, u] : users_->accounts) {
      std::lock_guard lock(u->mu);
      for (const auto& [limit, n] : u->rejections) by_team[{name.substr(0, name.find('\x1f')), limit}] += n;
    }
    for (const auto& [tl, n] : by_team) out.sample("switchyard_team_rejections_total", {{"team", tl.first}, {"level", "user"}, {"limit", tl.second}}, static_cast<double>(n));
  }
  out.help("switchyard_team_cost_usd_total", "counter", "Spend by team (answers ended, priced at the answering targets' prices).");
  for (const auto& t : teams_) {
    std::lock_guard lock(t->mu);
    out.sample("switchyard_team_cost_usd_total", {{"team", t->name}}, t->cost_usd);
  }
  out.help("switchyard_users_tracked", "gauge", "End users whose limits and budgets are tracked now.");
  {
    std::lock_guard table(users_->mu);
    out.sample("switchyard_users_tracked", {}, static_cast<double>(users_->accounts.size()));
  }
  out.help("switchyard_users_forgotten_total", "counter", "Idle end users forgotten because more than 100,000 were tracked.");
  out.sample("switchyard_users_forgotten_total", {}, static_cast<double>(users_->forgotten.load(std::memory_order_relaxed)));
  out.help("switchyard_key_cost_usd_total", "counter", "Spend by key with limits or a budget (answers ended, priced at the answering targets' prices).");
  for (const auto& k : states_) {
    std::lock_guard lock(k->mu);
    if (k->limiter.limited() || k->budget) out.sample("switchyard_key_cost_usd_total", {{"key", k->name}}, k->cost_usd);
  }
  out.help("switchyard_key_tokens_total", "counter", "Tokens by key (prompt and completion).");
  for (const auto& k : states_) {
    std::lock_guard lock(k->mu);
    if (k->limiter.limited() || k->budget) out.sample("switchyard_key_tokens_total", {{"key", k->name}}, static_cast<double>(k->tokens.total()));
  }
  // The budget alerts' reading, for Prometheus rules too (conf/prometheus/switchyard-rules.yml).
  const Ms now = now_();
  out.help("switchyard_budget_spent_ratio", "gauge", "Share of its budget a key or team has spent in the current period (1 = all of it).");
  for (const auto* list : {&states_, &teams_}) {
    for (const auto& a : *list) {
      std::lock_guard lock(a->mu);
      if (!a->budget || a->budget->config().usd <= 0) continue;
      out.sample("switchyard_budget_spent_ratio", {{"level", list == &states_ ? "key" : "team"}, {"name", a->name}}, a->budget->spent(now) / a->budget->config().usd);
    }
  }
}

}  // namespace switchyard::governance
