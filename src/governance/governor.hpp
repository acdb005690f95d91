#pragma once
// Rate limits and budgets of keys, their teams and the teams' end users: the
// admission stage's engine, owned by the Gateway (so an embedder's
// gateway.chat() with a key is governed the same way as an HTTP request).
// admit() estimates the request's tokens (prompt ~4 characters a token, plus
// max_tokens, else the key's recent answers) and takes what the limits of the
// key, its team and the (team, end user) need, all or nothing: a refusal at
// any level takes nothing from the others. It hands back one ticket; its
// finish() reconciles the tokens with what the provider reported and charges
// the cost to all three budgets.
#include <switchyard/chat.hpp>
#include <switchyard/config.hpp>

#include <boost/json/object.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "governance/key_budget.hpp"
#include "governance/key_limiter.hpp"
#include "observability/prometheus.hpp"

namespace switchyard::auth {
struct KeyEntry;
}

namespace switchyard::governance {

// A request's prompt estimate, ~4 characters a token over everything the
// provider reads as prompt: every text of the messages (parts, tool calls and
// results), system, instructions, tools and functions (names, descriptions,
// schemas), response_format, Responses `input`; an inline image or file (a
// data: URL) counts about 1,000 tokens whatever its size. An embeddings
// request (`input`, no `messages`) is its input.
std::uint64_t estimate_prompt_tokens(const boost::json::object& body);
// The prompt estimate plus max_tokens (or max_completion_tokens /
// max_output_tokens), or `expected_output` when it sets neither (embeddings: 0).
std::uint64_t estimate_tokens(const boost::json::object& body, std::uint64_t expected_output);

// Whose limit or budget: the Error's `level` says it to the client.
enum class Level { key, team, user };
std::string_view to_string(Level level) noexcept;

class Governor {
 public:
  using Clock = std::function<Ms()>;  // milliseconds since the epoch, UTC
  // `keys` as in Config::keys (KeyEntry::index points into it), `teams` as Config::teams
  // (KeyEntry::team_index); both must outlive the governor.
  explicit Governor(const std::vector<KeyConfig>& keys, Clock now = {});
  Governor(const std::vector<KeyConfig>& keys, const std::vector<TeamConfig>& teams, Clock now);
  const Clock& clock() const noexcept { return now_; }
  // End users tracked at once (per team and user); idle ones are forgotten beyond it (counted).
  static constexpr std::size_t kMaxUsers = 100'000;
  ~Governor();
  Governor(const Governor&) = delete;
  Governor& operator=(const Governor&) = delete;

  // The prices a request for `model` may be charged at (the priciest target of
  // its route), for reserving its estimated cost against a budget; null: unpriced.
  using Pricer = std::function<const TargetConfig*(std::string_view model)>;
  void set_pricer(Pricer pricer) { pricer_ = std::move(pricer); }

  // Admission for one request (null key: a trusted in-process caller, not governed), made for
  // end user `user` ("" = none; the key's team's user_limits apply to each user).
  Admission admit(const auth::KeyEntry* key, const boost::json::object& body, std::string_view user = {});
  // What admit() reserves for the request's tokens (0 when the key limits no tokens).
  std::uint64_t reservation(const auth::KeyEntry& key, const boost::json::object& body) const;
  // The key's configured limits (for the shared counters).
  const LimitsConfig* limits_of(const auth::KeyEntry& key) const;
  // The key's budget, if it has one (for the shared counters).
  std::optional<BudgetConfig> budget_of(const auth::KeyEntry& key) const;
  // The team and end-user levels above a key that have limits or a budget, as the shared
  // counters (Redis) name them: subject "team:<name>" / "user:<team>\x1f<user>".
  struct SharedLevel {
    Level level;
    std::string subject;
    LimitsConfig limits;
    std::optional<BudgetConfig> budget;
    std::size_t team = 0;  // index into Config::teams
    std::string user;
  };
  std::vector<SharedLevel> upper_levels(const auth::KeyEntry& key, std::string_view user) const;
  // A refusal of one of them by the shared counters, counted and worded as the level's own.
  Error level_refusal(const SharedLevel& level, const LimitRefusal& refusal);
  Error level_budget_refusal(const SharedLevel& level, double spent);
  // A refusal by the shared counters, counted like the key's own and worded the same.
  Error refusal(const auth::KeyEntry& key, const LimitRefusal& refusal);
  // The shared budget is spent (`spent` in this period, every replica together): the key's own 429, worded the same.
  Error budget_refusal(const auth::KeyEntry& key, double spent);

  // What the ledger holds from before a restart: each governed key's spend in
  // its budget period, and its requests and tokens in the last minute, hour
  // and day. `totals(from, to)` answers per key name (the ledger's totals by key).
  struct KeyUsage {
    std::uint64_t requests = 0, tokens = 0;
    double cost_usd = 0;
  };
  // By key name (Level::key), team name (team) or "team\x1fuser" (user).
  using Totals = std::function<std::map<std::string, KeyUsage>(Ms from, Ms to, Level by)>;
  void restore(const Totals& totals);
  // A reload: this governor (the new configuration's) takes over `previous`'s
  // keys by name. A key whose limits and budget are unchanged keeps the same
  // counters (shared: requests still running under the old configuration
  // finish into them); a changed one starts from what the old one had
  // counted (windows of the same length, spend in the same period), so the
  // new limit applies at once to what was already used.
  void adopt(Governor& previous);

  // The key's budget and limits now: {"key", "budget": {usd, period, spent_usd, resets_at}, "limits": {name: {limit, remaining, reset_ms}}}.
  boost::json::object status(const auth::KeyEntry& key);
  // status() of every configured key, in config order (the dashboard's keys table).
  boost::json::array status_all();
  // A team's budget and limits now, as status() ({"team", "budget", "limits"}); `index` into Config::teams.
  boost::json::object team_status(std::size_t index);
  // The spend counted for a key (`index` into Config::keys) since start and its budget's spend this period.
  double spent_of(std::size_t index);
  // The start of the key's budget period (the current UTC month without a budget).
  Ms period_start_of(const auth::KeyEntry& key);

  // switchyard_limit_rejections_total{key,limit}, switchyard_key_cost_usd_total{key}, switchyard_key_tokens_total{key}.
  void write_metrics(observability::PrometheusWriter& out) const;

  struct Account;    // one key's, team's or (team, user)'s limits and budget
  struct UserTable;  // the end users' accounts, shared by the generations of a reload

 private:
  const TargetConfig* prices_of(const boost::json::object& body) const;  // through pricer_
  Error refusal_locked(Account& k, const LimitRefusal& refusal);  // k.mu held
  Error budget_refusal_locked(Account& k, double spent, Ms now);  // k.mu held
  std::shared_ptr<Account> user_account(std::size_t team, std::string_view user);
  void restore_level(const Totals& totals, Level level, const std::vector<std::shared_ptr<Account>>& accounts, Ms now);

  const std::vector<KeyConfig>& keys_;
  Clock now_;
  Pricer pricer_;
  std::vector<std::shared_ptr<Account>> states_;  // by KeyEntry::index
  std::vector<std::shared_ptr<Account>> teams_;   // by KeyEntry::team_index
  std::vector<TeamConfig> team_configs_;
  std::shared_ptr<UserTable> users_;
};

}  // namespace switchyard::governance
