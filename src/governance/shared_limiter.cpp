#include "governance/shared_limiter.hpp"

#include <openssl/evp.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "governance/key_budget.hpp"
#include "text/hex.hpp"
#include "governance/wall_clock.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

namespace switchyard::governance {

namespace asio = boost::asio;

namespace {

// One subject's windows live in one hash (fields "<window>:a|b|c": a bucket's
// tokens and time, a sliding window's index, previous and current counts),
// its concurrency slots in a sorted set, its spend in a key per budget
// period: a handful of Redis calls per admission however many windows.
// KEYS: the hash, the slots, the spend (then those of the folded finishes). ARGV: now, slot_id, slot_ttl,
// concurrent (0: none), budget_usd ("": none), budget_wait_ms, hash_ttl_ms,
// n, then per window: name, kind ("bucket" | "sliding"), limit, window_ms, cost.
// Returns {1, 0, 0, remaining per window..., free slots} or {0, refused
// (1-based; n + 1: the slots, n + 2: the budget), retry_after_ms (-1: never), spent}.
// After the windows: m, then m finish blocks of earlier requests (their keys
// follow the three in KEYS), applied first: one round trip carries both.
constexpr const char* kAdmitMain = R"lua(
local now = tonumber(ARGV[1])
local concurrent = tonumber(ARGV[4])
local budget = ARGV[5]
local n = tonumber(ARGV[8])
local p = 9 + 7*n
local m = tonumber(ARGV[p] or '0')
p = p + 1
for j = 1, m do p = finish_one(KEYS[3*j+1], KEYS[3*j+2], KEYS[3*j+3], p, now) end
local state = {}
if n > 0 then
  local fields = {}
  for i = 1, n do
    local base = 2 + 7*i
    fields[3*i-2] = ARGV[base]; fields[3*i-1] = ARGV[base+1]; fields[3*i] = ARGV[base+2]
  end
  local h = redis.call('HMGET', KEYS[1], unpack(fields))
  for i = 1, n do
    local base = 2 + 7*i
    local s = {base = base, kind = ARGV[base+3], limit = tonumber(ARGV[base+4]), window = tonumber(ARGV[base+5]), cost = tonumber(ARGV[base+6])}
    local a, b, c = tonumber(h[3*i-2]), tonumber(h[3*i-1]), tonumber(h[3*i])
    if s.kind == 'b' then
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
    if s.cost > s.free then
      local wait
      if s.cost > s.limit then wait = -1
      elseif s.kind == 'b' then wait = math.ceil((s.cost - s.free) * s.window / s.limit)
      else wait = s.window - (now % s.window) end
      return {0, i, wait}
    end
    state[i] = s
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
  local k = 0
  for i = 1, n do
    local s = state[i]
    if s.kind == 'b' then
      set[k+1] = ARGV[s.base]; set[k+2] = s.t - s.cost
      set[k+3] = ARGV[s.base+1]; set[k+4] = now
      k = k + 4
      out[3+i] = math.floor(s.t - s.cost)
    else
      set[k+1] = ARGV[s.base]; set[k+2] = s.idx
      set[k+3] = ARGV[s.base+1]; set[k+4] = s.prev
      set[k+5] = ARGV[s.base+2]; set[k+6] = s.cur + s.cost
      k = k + 6
      out[3+i] = math.floor(s.free - s.cost)
    end
  end
  redis.call('HSET', KEYS[1], unpack(set))
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
end
if concurrent > 0 then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  out[#out+1] = slots_free - 1
end
return out
)lua";

// One request's end (shared by both scripts): a block of ARGV from `p`:
// slot_id, free the slot ("1"/"0"), spend to add ("": none), when the
// spend's key may go (ms since the epoch, 0: never), n, then per token
// window: its three fields, kind, limit, window_ms, give_back (negative: take
// more). Returns where the next block starts.
constexpr const char* kFinishOne = R"lua(
local function finish_one(kw, ks, kb, p, now)
  local n = tonumber(ARGV[p+4])
  if n > 0 then
    local fields = {}
    for i = 1, n do
      local base = p + 5 + 7*(i-1)
      fields[3*i-2] = ARGV[base]; fields[3*i-1] = ARGV[base+1]; fields[3*i] = ARGV[base+2]
    end
    local h = redis.call('HMGET', kw, unpack(fields))
    local set = {}
    local k = 0
    for i = 1, n do
      local base = p + 5 + 7*(i-1)
      local kind, limit, window, back = ARGV[base+3], tonumber(ARGV[base+4]), tonumber(ARGV[base+5]), tonumber(ARGV[base+6])
      local a, b, c = tonumber(h[3*i-2]), tonumber(h[3*i-1]), tonumber(h[3*i])
      if kind == 'b' then
        if a ~= nil and b ~= nil then
          local t = a
          if now > b then t = math.min(limit, t + (now - b) * limit / window) end
          set[k+1] = ARGV[base]; set[k+2] = math.min(limit, t + back)
          set[k+3] = ARGV[base+1]; set[k+4] = now
          k = k + 4
        end
      elseif a == math.floor(now / window) then  -- counted in this window: take it out of it
        set[k+1] = ARGV[base+2]; set[k+2] = math.max(0, (c or 0) - back)
        k = k + 2
      end
    end
    if k > 0 then redis.call('HSET', kw, unpack(set)) end
  end
  if ARGV[p+1] == '1' then redis.call('ZREM', ks, ARGV[p]) end
  if ARGV[p+2] ~= '' then
    redis.call('INCRBYFLOAT', kb, ARGV[p+2])
    local at = tonumber(ARGV[p+3])
    if at > 0 then redis.call('PEXPIREAT', kb, at) end
  end
  return p + 5 + 7*n
end
)lua";

// KEYS as the admission's; ARGV: now, then one finish block.
constexpr const char* kFinishMain = R"lua(
finish_one(KEYS[1], KEYS[2], KEYS[3], 2, tonumber(ARGV[1]))
return 1
)lua";

const std::string kAdmit = std::string(kFinishOne) + kAdmitMain;
const std::string kFinish = std::string(kFinishOne) + kFinishMain;

std::string sha1_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha1(), nullptr);
  return text::to_hex(digest, len);
}

}  // namespace

SharedLimiter::~SharedLimiter() { *alive_ = false; }

SharedLimiter::SharedLimiter(state::RedisClient& redis, std::string prefix, std::chrono::milliseconds timeout, std::chrono::milliseconds slot_ttl)
    : redis_(redis), flush_timer_(redis.executor()), prefix_(std::move(prefix)), timeout_(timeout), slot_ttl_(slot_ttl), admit_sha_(sha1_hex(kAdmit)),
      finish_sha_(sha1_hex(kFinish)) {
  // Loaded on every connection before anything else is sent on it: EVALSHA never meets an empty script cache.
  redis_.add_connect_command({"SCRIPT", "LOAD", kAdmit});
  redis_.add_connect_command({"SCRIPT", "LOAD", kFinish});
  // Back after an outage: what could not be sent goes now.
  redis_.on_connect([this, alive = alive_] {
    if (!*alive || unsynced_.empty()) return;
    for (auto& q : unsynced_) queued_.push_back(std::move(q));
    unsynced_.clear();
    asio::post(redis_.executor(), [this, alive] {
      if (*alive) flush();
    });
  });
}

void SharedLimiter::keep_unsynced(Queued q) {
  if (unsynced_.size() >= kMaxUnsynced) {
    ++unsynced_dropped_;
    return;
  }
  unsynced_.push_back(std::move(q));
}

std::vector<SharedLimiter::Window> SharedLimiter::windows_of(const LimitsConfig& l) {
  std::vector<Window> out;
  out.reserve(6);
  auto add = [&](const Window& w, std::uint64_t limit) {
    if (limit == 0) return;
    out.push_back(w);
    out.back().limit = limit;
  };
  // Field names are fixed per window (not per position): a reload that adds or drops a limit reads the others right.
  add(Window{"requests_per_minute", {"rpm:a", "rpm:b", "rpm:c"}, "b", 0, 60'000, false}, l.requests_per_minute);
  add(Window{"requests_per_hour", {"rph:a", "rph:b", "rph:c"}, "s", 0, 3'600'000, false}, l.requests_per_hour);
  add(Window{"requests_per_day", {"rpd:a", "rpd:b", "rpd:c"}, "s", 0, 86'400'000, false}, l.requests_per_day);
  add(Window{"tokens_per_minute", {"tpm:a", "tpm:b", "tpm:c"}, "b", 0, 60'000, true}, l.tokens_per_minute);
  add(Window{"tokens_per_hour", {"tph:a", "tph:b", "tph:c"}, "s", 0, 3'600'000, true}, l.tokens_per_hour);
  add(Window{"tokens_per_day", {"tpd:a", "tpd:b", "tpd:c"}, "s", 0, 86'400'000, true}, l.tokens_per_day);
  return out;
}

asio::awaitable<std::optional<state::RedisReply>> SharedLimiter::run(const std::string& script, const std::string& sha,
                                                                     std::vector<std::string> keys, std::vector<std::string> args, bool* sent) {
  std::vector<std::string> cmd{"EVALSHA", sha, std::to_string(keys.size())};
  cmd.insert(cmd.end(), keys.begin(), keys.end());
  cmd.insert(cmd.end(), args.begin(), args.end());
  auto alive = alive_;  // a finish left running in the background may outlive the limiter (its gateway destroyed)
  auto reply = co_await redis_.command(cmd, timeout_, sent);
  if (!*alive) co_return std::nullopt;
  if (reply && reply->is_error() && reply->text.starts_with("NOSCRIPT")) {
    cmd[0] = "EVAL";  // Redis lost its script cache (a restart): EVAL runs it and caches it again
    cmd[1] = script;
    reply = co_await redis_.command(std::move(cmd), timeout_, sent);
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

void SharedLimiter::finish_soon(std::string subject, const LimitsConfig& limits, std::uint64_t reserved, std::uint64_t used,
                                std::string slot_id, std::optional<BudgetConfig> budget, double cost_usd) {
  queued_.push_back(Queued{std::move(subject), limits, reserved, used, std::move(slot_id), budget, cost_usd});
  if (flush_armed_) return;
  flush_armed_ = true;
  flush_timer_.expires_after(finish_delay_);
  // The timer is a member, cancelled when the limiter goes; a wait that had already completed
  // (its handler queued) finds the alive token false and touches nothing.
  flush_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    flush_armed_ = false;
    flush();
  });
}

void SharedLimiter::flush() {
  if (queued_.empty()) return;
  auto queued = std::move(queued_);
  queued_.clear();
  const Ms now = governance::wall_now_ms();
  for (auto& q : queued) {
    // Started now and queued in hiredis' buffer in this turn of the reactor: they leave in one write.
    asio::co_spawn(redis_.executor(), send_one(std::move(q), now), asio::detached);
  }
}

asio::awaitable<void> SharedLimiter::send_one(Queued q, Ms now) {
  std::vector<std::string> keys, args{std::to_string(now)};
  if (!finish_block(keys, args, q.subject, q.limits, q.reserved, q.used, q.slot, now, q.budget, q.cost_usd)) co_return;
  auto alive = alive_;
  bool sent = false;
  auto reply = co_await run(kFinish, finish_sha_, std::move(keys), std::move(args), &sent);
  if (!*alive) co_return;
  if (!reply && !sent) keep_unsynced(std::move(q));  // it never left: it did not run, so it goes again later
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
  args.reserve(8 + 7 * windows.size());
  args.push_back(std::to_string(now));
  args.push_back(std::move(slot_id));
  args.push_back(std::to_string(slot_ttl_.count()));
  args.push_back(std::to_string(limits.concurrent));
  args.push_back(budget ? usd_text(budget->usd) : std::string());
  args.push_back(std::to_string(budget_wait));
  args.push_back(std::to_string(2 * longest));
  args.push_back(std::to_string(windows.size()));
  for (const auto& w : windows) {
    args.insert(args.end(), w.fields, w.fields + 3);
    args.push_back(w.kind);
    args.push_back(std::to_string(w.limit));
    args.push_back(std::to_string(w.window));
    args.push_back(std::to_string(w.tokens ? tokens : 1));
  }
  // The finishes waiting for a ride are applied by this script first.
  auto keys = keys_of(subject, budget, now);
  const std::size_t count_at = args.size();
  args.push_back("0");
  std::size_t m = 0;
  auto riding = std::move(queued_);
  queued_.clear();
  for (auto& q : riding) {
    m += finish_block(keys, args, q.subject, q.limits, q.reserved, q.used, q.slot, now, q.budget, q.cost_usd) ? 1 : 0;
  }
  args[count_at] = std::to_string(m);
  auto alive = alive_;
  bool sent = false;
  auto reply = co_await run(kAdmit, admit_sha_, std::move(keys), std::move(args), &sent);
  if (!*alive) co_return std::nullopt;
  if (!reply && !sent) {
    for (auto& q : riding) keep_unsynced(std::move(q));  // the ends riding along never left either
  }
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

bool SharedLimiter::finish_block(std::vector<std::string>& keys, std::vector<std::string>& args, const std::string& subject,
                                 const LimitsConfig& limits, std::uint64_t reserved, std::uint64_t used, std::string slot_id, Ms now,
                                 const std::optional<BudgetConfig>& budget, double cost_usd) const {
  const auto back = static_cast<std::int64_t>(reserved) - static_cast<std::int64_t>(used);
  const bool spend = budget && cost_usd > 0;
  std::size_t n = 0;
  const auto windows = back != 0 ? windows_of(limits) : std::vector<Window>{};
  for (const auto& w : windows) n += w.tokens ? 1 : 0;  // a request stays counted
  if (n == 0 && !limits.concurrent && !spend) return false;
  // The period's spend goes a day after the period (a late replica's spend still lands in it).
  const Ms expire_at = !spend || budget->period == BudgetPeriod::total ? 0 : period_end(budget->period, now) + 86'400'000;
  auto more = keys_of(subject, budget, now);
  keys.insert(keys.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  args.push_back(std::move(slot_id));
  args.push_back(limits.concurrent ? "1" : "0");
  args.push_back(spend ? usd_text(cost_usd) : std::string());
  args.push_back(std::to_string(expire_at));
  args.push_back(std::to_string(n));
  for (const auto& w : windows) {
    if (!w.tokens) continue;
    args.insert(args.end(), w.fields, w.fields + 3);
    args.insert(args.end(), {w.kind, std::to_string(w.limit), std::to_string(w.window), std::to_string(back)});
  }
  return true;
}

asio::awaitable<bool> SharedLimiter::finish(std::string subject, const LimitsConfig& limits, std::uint64_t reserved, std::uint64_t used,
                                            std::string slot_id, Ms now, std::optional<BudgetConfig> budget, double cost_usd) {
  std::vector<std::string> keys, args{std::to_string(now)};
  if (!finish_block(keys, args, subject, limits, reserved, used, std::move(slot_id), now, budget, cost_usd)) co_return true;
  auto reply = co_await run(kFinish, finish_sha_, std::move(keys), std::move(args));
  co_return reply && !reply->is_error();
}

}  // namespace switchyard::governance
