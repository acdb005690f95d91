#include "governance/shared_limiter.hpp"

#include <openssl/evp.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "governance/key_budget.hpp"

namespace switchyard::governance {

namespace asio = boost::asio;

namespace {

// One subject's windows live in one hash (fields "<window>:a|b|c": a bucket's
// tokens and time, a sliding window's index, previous and current counts),
// its concurrency slots in a sorted set, its spend in a key per budget
// period: a handful of Redis calls per admission however many windows.
// KEYS: the hash, the slots, the spend. ARGV: now, slot_id, slot_ttl,
// concurrent (0: none), budget_usd ("": none), budget_wait_ms, hash_ttl_ms,
// n, then per window: name, kind ("bucket" | "sliding"), limit, window_ms, cost.
// Returns {1, 0, 0, remaining per window..., free slots} or {0, refused
// (1-based; n + 1: the slots, n + 2: the budget), retry_after_ms (-1: never), spent}.
constexpr const char* kAdmit = R"lua(
local now = tonumber(ARGV[1])
local concurrent = tonumber(ARGV[4])
local budget = ARGV[5]
local n = tonumber(ARGV[8])
local state = {}
if n > 0 then
  local fields = {}
  for i = 1, n do
    local name = ARGV[4 + 5*i]
    fields[3*i-2] = name .. ':a'; fields[3*i-1] = name .. ':b'; fields[3*i] = name .. ':c'
  end
  local h = redis.call('HMGET', KEYS[1], unpack(fields))
  for i = 1, n do
    local base = 4 + 5*i
    local s = {name = ARGV[base], kind = ARGV[base+1], limit = tonumber(ARGV[base+2]), window = tonumber(ARGV[base+3]), cost = tonumber(ARGV[base+4])}
    local a, b, c = tonumber(h[3*i-2]), tonumber(h[3*i-1]), tonumber(h[3*i])
    if s.kind == 'bucket' then
      local t, ts = a, b
      if t == nil or ts == nil then t = s.limit; ts = now end
      if now > ts then t = math.min(s.limit, t + (now - ts) * s.limit / s.window) end
      s.t = t
      s.free = t
    else
      local idx, prev, cur = a, b or 0, c or 0
      local now_idx = math.floor(now / s.window)
      if idx == nil or idx < now_idx - 1 then prev = 0; cur = 0
      elseif idx == now_idx - 1 then prev = cur; cur = 0 end
      s.idx, s.prev, s.cur = now_idx, prev, cur
      s.free = s.limit - (prev * (1 - (now % s.window) / s.window) + cur)
    end
    state[i] = s
  end
  for i = 1, n do
    local s = state[i]
    if s.cost > s.free then
      local wait
      if s.cost > s.limit then wait = -1
      elseif s.kind == 'bucket' then wait = math.ceil((s.cost - s.free) * s.window / s.limit)
      else wait = s.window - (now % s.window) end
      return {0, i, wait}
    end
  end
end
local slots_free = 0
if concurrent > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)  -- slots of requests that never finished
  slots_free = concurrent - redis.call('ZCARD', KEYS[2])
  if slots_free < 1 then
    local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    local wait = 1000
    if first[2] then wait = math.max(1, tonumber(first[2]) - now) end
    return {0, n + 1, wait}
  end
end
if budget ~= '' then
  local spent = tonumber(redis.call('GET', KEYS[3]) or '0')
  if spent >= tonumber(budget) then return {0, n + 2, tonumber(ARGV[6]), tostring(spent)} end
end
local out = {1, 0, 0}
if n > 0 then
  local set = {}
  for i = 1, n do
    local s = state[i]
    if s.kind == 'bucket' then
      set[#set+1] = s.name .. ':a'; set[#set+1] = tostring(s.t - s.cost)
      set[#set+1] = s.name .. ':b'; set[#set+1] = now
      out[#out+1] = math.floor(s.t - s.cost)
    else
      set[#set+1] = s.name .. ':a'; set[#set+1] = s.idx
      set[#set+1] = s.name .. ':b'; set[#set+1] = tostring(s.prev)
      set[#set+1] = s.name .. ':c'; set[#set+1] = tostring(s.cur + s.cost)
      out[#out+1] = math.floor(s.free - s.cost)
    end
  end
  redis.call('HSET', KEYS[1], unpack(set))
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[7]))
end
if concurrent > 0 then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]))
  out[#out+1] = slots_free - 1
end
return out
)lua";

// KEYS as kAdmit. ARGV: now, slot_id, free the slot ("1"/"0"), spend to add
// ("": none), when the spend's key may go (ms since the epoch, 0: never), n,
// then per token window: name, kind, limit, window_ms, give_back (negative: take more).
constexpr const char* kFinish = R"lua(
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[6])
if n > 0 then
  local fields = {}
  for i = 1, n do
    local name = ARGV[2 + 5*i]
    fields[3*i-2] = name .. ':a'; fields[3*i-1] = name .. ':b'; fields[3*i] = name .. ':c'
  end
  local h = redis.call('HMGET', KEYS[1], unpack(fields))
  local set = {}
  for i = 1, n do
    local base = 2 + 5*i
    local name, kind, limit, window, back = ARGV[base], ARGV[base+1], tonumber(ARGV[base+2]), tonumber(ARGV[base+3]), tonumber(ARGV[base+4])
    local a, b, c = tonumber(h[3*i-2]), tonumber(h[3*i-1]), tonumber(h[3*i])
    if kind == 'bucket' then
      if a ~= nil and b ~= nil then
        local t = a
        if now > b then t = math.min(limit, t + (now - b) * limit / window) end
        set[#set+1] = name .. ':a'; set[#set+1] = tostring(math.min(limit, t + back))
        set[#set+1] = name .. ':b'; set[#set+1] = now
      end
    elseif a == math.floor(now / window) then  -- counted in this window: take it out of it
      set[#set+1] = name .. ':c'; set[#set+1] = tostring(math.max(0, (c or 0) - back))
    end
  end
  if #set > 0 then redis.call('HSET', KEYS[1], unpack(set)) end
end
if ARGV[3] == '1' then redis.call('ZREM', KEYS[2], ARGV[2]) end
if ARGV[4] ~= '' then
  redis.call('INCRBYFLOAT', KEYS[3], ARGV[4])
  local at = tonumber(ARGV[5])
  if at > 0 then redis.call('PEXPIREAT', KEYS[3], at) end
end
return 1
)lua";

std::string sha1_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace

SharedLimiter::SharedLimiter(state::RedisClient& redis, std::string prefix, std::chrono::milliseconds timeout, std::chrono::milliseconds slot_ttl)
    : redis_(redis), prefix_(std::move(prefix)), timeout_(timeout), slot_ttl_(slot_ttl), admit_sha_(sha1_hex(kAdmit)),
      finish_sha_(sha1_hex(kFinish)) {}

std::vector<SharedLimiter::Window> SharedLimiter::windows_of(const LimitsConfig& l) {
  std::vector<Window> out;
  auto add = [&](const char* name, const char* kind, std::uint64_t limit, Ms window, bool tokens) {
    if (limit > 0) out.push_back(Window{name, kind, limit, window, tokens});
  };
  add("requests_per_minute", "bucket", l.requests_per_minute, 60'000, false);
  add("requests_per_hour", "sliding", l.requests_per_hour, 3'600'000, false);
  add("requests_per_day", "sliding", l.requests_per_day, 86'400'000, false);
  add("tokens_per_minute", "bucket", l.tokens_per_minute, 60'000, true);
  add("tokens_per_hour", "sliding", l.tokens_per_hour, 3'600'000, true);
  add("tokens_per_day", "sliding", l.tokens_per_day, 86'400'000, true);
  return out;
}

asio::awaitable<std::optional<state::RedisReply>> SharedLimiter::run(const std::string& script, const std::string& sha,
                                                                     std::vector<std::string> keys, std::vector<std::string> args) {
  std::vector<std::string> cmd{"EVALSHA", sha, std::to_string(keys.size())};
  cmd.insert(cmd.end(), keys.begin(), keys.end());
  cmd.insert(cmd.end(), args.begin(), args.end());
  auto reply = co_await redis_.command(cmd, timeout_);
  if (reply && reply->is_error() && reply->text.starts_with("NOSCRIPT")) {
    cmd[0] = "EVAL";  // Redis lost its script cache (a restart): EVAL runs it and caches it again
    cmd[1] = script;
    reply = co_await redis_.command(std::move(cmd), timeout_);
  }
  co_return reply;
}

std::string SharedLimiter::budget_key(const std::string& subject, const BudgetConfig& budget, Ms now) const {
  const Ms start = budget.period == BudgetPeriod::total ? 0 : period_start(budget.period, now);
  return prefix_ + "{" + subject + "}:budget:" + std::string(to_string(budget.period)) + ":" + std::to_string(start);
}

namespace {
std::string usd_text(double usd) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10f", usd);
  return buf;
}
}  // namespace

// The subject's three keys; "{subject}" is a hash tag: one Redis Cluster slot for all of them.
std::vector<std::string> SharedLimiter::keys_of(const std::string& subject, const std::optional<BudgetConfig>& budget, Ms now) const {
  std::vector<std::string> keys;
  keys.reserve(3);
  keys.push_back(prefix_ + "{" + subject + "}:windows");
  keys.push_back(prefix_ + "{" + subject + "}:slots");
  keys.push_back(budget ? budget_key(subject, *budget, now) : prefix_ + "{" + subject + "}:budget");
  return keys;
}

asio::awaitable<std::optional<SharedLimiter::Verdict>> SharedLimiter::admit(std::string subject, const LimitsConfig& limits,
                                                                            std::uint64_t tokens, std::string slot_id, Ms now,
                                                                            std::optional<BudgetConfig> budget) {
  const auto windows = windows_of(limits);
  Verdict verdict;
  if (windows.empty() && !limits.concurrent && !budget) co_return verdict;
  Ms longest = 0;
  for (const auto& w : windows) longest = std::max(longest, w.window);
  const Ms budget_wait = !budget || budget->period == BudgetPeriod::total ? -1 : period_end(budget->period, now) - now;
  std::vector<std::string> args;
  args.reserve(8 + 5 * windows.size());
  args.push_back(std::to_string(now));
  args.push_back(std::move(slot_id));
  args.push_back(std::to_string(slot_ttl_.count()));
  args.push_back(std::to_string(limits.concurrent));
  args.push_back(budget ? usd_text(budget->usd) : std::string());
  args.push_back(std::to_string(budget_wait));
  args.push_back(std::to_string(2 * longest));
  args.push_back(std::to_string(windows.size()));
  for (const auto& w : windows) {
    args.push_back(w.name);
    args.push_back(w.kind);
    args.push_back(std::to_string(w.limit));
    args.push_back(std::to_string(w.window));
    args.push_back(std::to_string(w.tokens ? tokens : 1));
  }
  auto reply = co_await run(kAdmit, admit_sha_, keys_of(subject, budget, now), std::move(args));
  if (!reply || reply->type != state::RedisReply::Type::array || reply->elements.size() < 3) co_return std::nullopt;
  const auto& e = reply->elements;
  if (e[0].integer == 0) {
    const auto at = static_cast<std::size_t>(std::max<std::int64_t>(1, e[1].integer));
    LimitRefusal r;
    r.ever = e[2].integer >= 0;
    r.retry_after_ms = std::max<std::int64_t>(0, e[2].integer);
    if (at == windows.size() + 2 && budget) {
      r.limit = "budget";
      verdict.budget_spent = e.size() > 3 ? std::strtod(e[3].text.c_str(), nullptr) : budget->usd;
    } else if (at == windows.size() + 1) {
      r.limit = std::to_string(limits.concurrent) + " concurrent requests";
    } else {
      const auto& w = windows.at(std::min(at, windows.size()) - 1);
      r.limit = std::to_string(w.limit) + (w.tokens ? " tokens" : " requests") + " per " +
                (w.window == 60'000 ? "minute" : w.window == 3'600'000 ? "hour" : "day");
    }
    verdict.refused = std::move(r);
    co_return verdict;
  }
  for (std::size_t i = 0; i < windows.size() && i + 3 < e.size(); ++i) {
    WindowStatus s;
    s.limit = windows[i].limit;
    s.remaining = static_cast<std::uint64_t>(std::max<std::int64_t>(0, e[i + 3].integer));
    s.reset_ms = windows[i].window;
    verdict.windows.emplace_back(windows[i].name, s);
  }
  if (limits.concurrent && windows.size() + 3 < e.size()) {
    verdict.windows.emplace_back("concurrent", WindowStatus{limits.concurrent,
                                                            static_cast<std::uint64_t>(std::max<std::int64_t>(0, e[windows.size() + 3].integer)), 0});
  }
  co_return verdict;
}

asio::awaitable<bool> SharedLimiter::finish(std::string subject, const LimitsConfig& limits, std::uint64_t reserved, std::uint64_t used,
                                            std::string slot_id, Ms now, std::optional<BudgetConfig> budget, double cost_usd) {
  const auto back = static_cast<std::int64_t>(reserved) - static_cast<std::int64_t>(used);
  std::vector<std::string> tail;
  std::size_t n = 0;
  if (back != 0) {
    for (const auto& w : windows_of(limits)) {
      if (!w.tokens) continue;  // a request stays counted
      tail.insert(tail.end(), {w.name, w.kind, std::to_string(w.limit), std::to_string(w.window), std::to_string(back)});
      ++n;
    }
  }
  const bool spend = budget && cost_usd > 0;
  if (n == 0 && !limits.concurrent && !spend) co_return true;
  // The period's spend goes a day after the period (a late replica's spend still lands in it).
  const Ms expire_at = !spend || budget->period == BudgetPeriod::total ? 0 : period_end(budget->period, now) + 86'400'000;
  std::vector<std::string> args{std::to_string(now), std::move(slot_id), limits.concurrent ? "1" : "0", spend ? usd_text(cost_usd) : std::string(),
                                std::to_string(expire_at), std::to_string(n)};
  args.insert(args.end(), std::make_move_iterator(tail.begin()), std::make_move_iterator(tail.end()));
  auto reply = co_await run(kFinish, finish_sha_, keys_of(subject, budget, now), std::move(args));
  co_return reply && !reply->is_error();
}

}  // namespace switchyard::governance
