#include "governance/shared_limiter.hpp"

#include <openssl/evp.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "governance/key_budget.hpp"

namespace switchyard::governance {

namespace asio = boost::asio;

namespace {

// KEYS: one per window. ARGV: now, slot_id, slot_ttl, then per window: kind, limit, window_ms, cost.
// Returns {admitted (1/0), refused window (1-based, 0: none), retry_after_ms, remaining..., reset_ms...}.
constexpr const char* kAdmit = R"lua(
local now = tonumber(ARGV[1])
local slot = ARGV[2]
local slot_ttl = tonumber(ARGV[3])
local n = #KEYS
local state = {}
-- Pass 1: what each window holds now, and whether the request fits in all of them.
for i = 1, n do
  local kind, limit, window, cost = ARGV[4*i], tonumber(ARGV[4*i+1]), tonumber(ARGV[4*i+2]), tonumber(ARGV[4*i+3])
  local s = {kind = kind, limit = limit, window = window, cost = cost}
  if kind == 'bucket' then
    local h = redis.call('HMGET', KEYS[i], 't', 'ts')
    local t, ts = tonumber(h[1]), tonumber(h[2])
    if t == nil then t = limit; ts = now end
    if now > ts then t = math.min(limit, t + (now - ts) * limit / window) end
    s.t = t
    s.free = t
  elseif kind == 'sliding' then
    local h = redis.call('HMGET', KEYS[i], 'idx', 'prev', 'cur')
    local idx, prev, cur = tonumber(h[1]), tonumber(h[2]) or 0, tonumber(h[3]) or 0
    local now_idx = math.floor(now / window)
    if idx == nil or idx < now_idx - 1 then prev = 0; cur = 0
    elseif idx == now_idx - 1 then prev = cur; cur = 0 end
    s.idx, s.prev, s.cur = now_idx, prev, cur
    local weight = 1 - (now % window) / window
    s.free = limit - (prev * weight + cur)
  elseif kind == 'budget' then
    -- spend in this period (the key names it): spent, nothing to take; at the limit every request is refused
    s.spent = tonumber(redis.call('GET', KEYS[i]) or '0')
    if s.spent >= limit then s.free = -1 else s.free = 0 end
  else
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)  -- slots of requests that never finished
    s.free = limit - redis.call('ZCARD', KEYS[i])
  end
  state[i] = s
end
for i = 1, n do
  local s = state[i]
  if s.cost > s.free then
    local wait
    if s.kind == 'budget' then
      return {0, i, s.window, tostring(s.spent)}  -- window: until the period ends (-1: never)
    elseif s.cost > s.limit then wait = -1
    elseif s.kind == 'bucket' then wait = math.ceil((s.cost - s.free) * s.window / s.limit)
    elseif s.kind == 'sliding' then wait = s.window - (now % s.window)
    else
      local first = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
      wait = 1000
      if first[2] then wait = math.max(1, tonumber(first[2]) - now) end
    end
    return {0, i, wait}
  end
end
-- Pass 2: take from every window.
local out = {1, 0, 0}
for i = 1, n do
  local s = state[i]
  if s.kind == 'bucket' then
    redis.call('HSET', KEYS[i], 't', tostring(s.t - s.cost), 'ts', now)
    redis.call('PEXPIRE', KEYS[i], 2 * s.window)
    out[#out + 1] = math.floor(s.t - s.cost)
  elseif s.kind == 'sliding' then
    redis.call('HSET', KEYS[i], 'idx', s.idx, 'prev', tostring(s.prev), 'cur', tostring(s.cur + s.cost))
    redis.call('PEXPIRE', KEYS[i], 2 * s.window)
    out[#out + 1] = math.floor(s.free - s.cost)
  elseif s.kind == 'budget' then
    out[#out + 1] = 0
  else
    redis.call('ZADD', KEYS[i], now + slot_ttl, slot)
    redis.call('PEXPIRE', KEYS[i], slot_ttl)
    out[#out + 1] = math.floor(s.free - 1)
  end
end
return out
)lua";

// KEYS: one per window. ARGV: now, slot_id, then per window: kind, limit, window_ms, give_back (negative: take more).
constexpr const char* kFinish = R"lua(
local now = tonumber(ARGV[1])
local slot = ARGV[2]
for i = 1, #KEYS do
  local kind, limit, window, back = ARGV[4*i-1], tonumber(ARGV[4*i]), tonumber(ARGV[4*i+1]), tonumber(ARGV[4*i+2])
  if kind == 'slots' then
    redis.call('ZREM', KEYS[i], slot)
  elseif kind == 'budget' then
    -- back: what the answer cost; window: when the period's key may go (0: never)
    if back > 0 then redis.call('INCRBYFLOAT', KEYS[i], ARGV[4*i+2]) end
    if window > 0 then redis.call('PEXPIREAT', KEYS[i], window) end
  elseif back ~= 0 then
    if kind == 'bucket' then
      local h = redis.call('HMGET', KEYS[i], 't', 'ts')
      local t, ts = tonumber(h[1]), tonumber(h[2])
      if t ~= nil then
        if now > ts then t = math.min(limit, t + (now - ts) * limit / window) end
        redis.call('HSET', KEYS[i], 't', tostring(math.min(limit, t + back)), 'ts', now)
      end
    else
      local h = redis.call('HMGET', KEYS[i], 'idx', 'cur')
      if tonumber(h[1]) == math.floor(now / window) then  -- counted in this window: take it out of it
        redis.call('HSET', KEYS[i], 'cur', tostring(math.max(0, (tonumber(h[2]) or 0) - back)))
      end
    end
  end
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
  add("concurrent", "slots", l.concurrent, 0, false);
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
  return prefix_ + subject + ":budget:" + std::string(to_string(budget.period)) + ":" + std::to_string(start);
}

namespace {
std::string usd_text(double usd) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10f", usd);
  return buf;
}
}  // namespace

asio::awaitable<std::optional<SharedLimiter::Verdict>> SharedLimiter::admit(std::string subject, const LimitsConfig& limits,
                                                                            std::uint64_t tokens, std::string slot_id, Ms now,
                                                                            std::optional<BudgetConfig> budget) {
  const auto windows = windows_of(limits);
  Verdict verdict;
  if (windows.empty() && !budget) co_return verdict;
  std::vector<std::string> keys, args{std::to_string(now), slot_id, std::to_string(slot_ttl_.count())};
  for (const auto& w : windows) {
    keys.push_back(prefix_ + subject + ":" + w.name);
    args.insert(args.end(), {w.kind, std::to_string(w.limit), std::to_string(w.window), std::to_string(w.tokens ? tokens : 1)});
  }
  if (budget) {  // last: its index is windows.size() + 1
    const Ms until = budget->period == BudgetPeriod::total ? -1 : period_end(budget->period, now) - now;
    keys.push_back(budget_key(subject, *budget, now));
    args.insert(args.end(), {"budget", usd_text(budget->usd), std::to_string(until), "0"});
  }
  auto reply = co_await run(kAdmit, admit_sha_, std::move(keys), std::move(args));
  if (!reply || reply->type != state::RedisReply::Type::array || reply->elements.size() < 3) co_return std::nullopt;
  const auto& e = reply->elements;
  if (e[0].integer == 0 && budget && static_cast<std::size_t>(e[1].integer) == windows.size() + 1) {
    verdict.budget_spent = e.size() > 3 ? std::strtod(e[3].text.c_str(), nullptr) : budget->usd;
    LimitRefusal r;
    r.limit = "budget";
    r.ever = e[2].integer >= 0;
    r.retry_after_ms = std::max<std::int64_t>(0, e[2].integer);
    verdict.refused = std::move(r);
    co_return verdict;
  }
  if (e[0].integer == 0) {
    const auto& w = windows.at(static_cast<std::size_t>(std::clamp<std::int64_t>(e[1].integer, 1, static_cast<std::int64_t>(windows.size())) - 1));
    LimitRefusal r;
    r.limit = w.name == "concurrent" ? std::to_string(w.limit) + " concurrent requests"
                                     : std::to_string(w.limit) + (w.tokens ? " tokens" : " requests") + " per " +
                                           (w.window == 60'000 ? "minute" : w.window == 3'600'000 ? "hour" : "day");
    r.ever = e[2].integer >= 0;
    r.retry_after_ms = std::max<std::int64_t>(0, e[2].integer);
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
  co_return verdict;
}

asio::awaitable<bool> SharedLimiter::finish(std::string subject, const LimitsConfig& limits, std::uint64_t reserved, std::uint64_t used,
                                            std::string slot_id, Ms now, std::optional<BudgetConfig> budget, double cost_usd) {
  const auto windows = windows_of(limits);
  std::vector<std::string> keys, args{std::to_string(now), slot_id};
  const auto back = static_cast<std::int64_t>(reserved) - static_cast<std::int64_t>(used);
  for (const auto& w : windows) {
    if (!w.tokens && w.kind != "slots") continue;  // a request stays counted
    keys.push_back(prefix_ + subject + ":" + w.name);
    args.insert(args.end(), {w.kind, std::to_string(w.limit), std::to_string(w.window), std::to_string(w.tokens ? back : 0)});
  }
  if (budget && cost_usd > 0) {  // the period's key goes a day after the period (a late replica's spend still lands in it)
    const Ms expire_at = budget->period == BudgetPeriod::total ? 0 : period_end(budget->period, now) + 86'400'000;
    keys.push_back(budget_key(subject, *budget, now));
    args.insert(args.end(), {"budget", usd_text(budget->usd), std::to_string(expire_at), usd_text(cost_usd)});
  }
  if (keys.empty()) co_return true;
  auto reply = co_await run(kFinish, finish_sha_, std::move(keys), std::move(args));
  co_return reply && !reply->is_error();
}

}  // namespace switchyard::governance
