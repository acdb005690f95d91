#include "pipeline/cache_stage.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include "cache/completion_chunks.hpp"
#include "cache/shared_cache.hpp"
#include "pipeline/generation.hpp"
#include "providers/openai_usage.hpp"

namespace switchyard::pipeline {

namespace asio = boost::asio;

namespace {
// A reader that waits for a whole answer: registered with the flight while it waits.
struct WholeReader {
  explicit WholeReader(std::shared_ptr<cache::Flight> flight) : f(std::move(flight)) { f->attach(&r); }
  ~WholeReader() { f->detach(&r); }
  WholeReader(const WholeReader&) = delete;
  WholeReader& operator=(const WholeReader&) = delete;
  std::shared_ptr<cache::Flight> f;
  cache::Flight::Reader r;
};

std::int64_t age_of(const cache::CachedEntry& e, std::int64_t now_ms) { return std::max<std::int64_t>(0, now_ms - e.stored_ms); }

std::chrono::nanoseconds since(Clock::time_point from, Clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(now - from);
}
}  // namespace

bool CacheStage::plan(Exchange& ex) {
  if (ex.op != Operation::chat) return false;
  ex.cache = cache_.plan(ex.request, ex.key, ex.plan.route_config, ex.route, ex.streaming);
  if (ex.cache.status == CacheStatus::bypass) cache_.count(ex.cache.route, CacheStatus::bypass);
  return ex.cache.usable();
}

void CacheStage::account_hit(Exchange& ex, const cache::CachedEntry& entry) {
  cache_.count(ex.cache.route, CacheStatus::hit, entry.cost_usd);
  account_.ready(ex, entry.provider, entry.model, {}, CacheStatus::hit);
  ex.record.saved_usd = entry.cost_usd;
  account_.finish(ex);  // a request taken from the key, no tokens, nothing spent
}

void CacheStage::account_follower(Exchange& ex, const cache::Flight& flight, const Error* failed, std::chrono::nanoseconds waited) {
  const double saved = failed ? 0 : flight.cost_usd();
  cache_.count(ex.cache.route, CacheStatus::coalesced, saved);
  ex.record.provider = flight.provider();
  ex.record.model = flight.model();
  ex.record.cache = CacheStatus::coalesced;
  ex.record.upstream = waited;
  ex.record.saved_usd = saved;
  if (failed) account_.fail(ex, *failed);  // the leader's provider billed the leader, not this request
  else account_.finish(ex);
}

void CacheStage::account_elsewhere(Exchange& ex, const cache::CachedEntry* entry, const Error* failed, std::chrono::nanoseconds waited) {
  const double saved = entry ? entry->cost_usd : 0;
  cache_.count(ex.cache.route, CacheStatus::coalesced, saved);
  ex.record.cache = CacheStatus::coalesced;
  ex.record.upstream = waited;
  ex.record.saved_usd = saved;
  if (entry) {
    account_.ready(ex, entry->provider, entry->model, waited, CacheStatus::coalesced);
    account_.finish(ex);
  } else {
    account_.fail(ex, *failed);  // the leader's provider billed the leader, not this request
  }
}

asio::awaitable<std::optional<Error>> CacheStage::wait_elsewhere(Exchange& ex, std::optional<std::chrono::nanoseconds>& waited) {
  const auto from = account_.now();
  auto outcome = co_await cache_.wait_elsewhere(ex.cache);
  using How = cache::FlightBoard::Outcome::How;
  std::optional<Error> end;
  if (outcome.how == How::client_left) end = make_error(errc::cancelled, "the client left");
  else if (outcome.how == How::timed_out) end = make_error(errc::upstream_timeout, "an identical request being answered on another worker took too long");
  else if (outcome.failed && outcome.failed->code != errc::cancelled) end = std::move(outcome.failed);  // its leader's client left: fetch here
  if (end) {
    account_elsewhere(ex, nullptr, &*end, since(from, account_.now()));
    co_return end;
  }
  waited = since(from, account_.now());
  co_return std::nullopt;
}

asio::awaitable<void> CacheStage::fetch_stream(cache::Flight& f, Exchange& ex, std::optional<Error>& failed) {
  auto stream = co_await ex.gen->router.chat_stream(ex.plan, ex.request);
  if (!stream) {
    failed = stream.error();
    co_return;
  }
  account_.ready(ex, stream->provider(), stream->model(), stream->upstream_time(), CacheStatus::miss);
  f.open(stream->provider(), stream->model(), stream->native(), stream->upstream_time());
  for (;;) {
    co_await f.room();  // the slowest client holds back the provider
    auto item = co_await stream->next();
    f.set_usage(stream->usage(), stream->cost_usd());
    if (!item) {
      failed = item.error();
      break;
    }
    if (!*item) break;
    f.push(**item);
  }
  ex.record.used = stream->usage();
  ex.record.cost_usd = stream->cost_usd();
  if (!failed) f.end(ex.record.used, ex.record.cost_usd);
}

asio::awaitable<void> CacheStage::fetch(std::shared_ptr<cache::Flight> f, Exchange& ex, std::shared_ptr<Exchange> keep) {
  std::optional<Error> failed;
  try {
    if (f->streaming()) {
      co_await fetch_stream(*f, ex, failed);
    } else {
      auto answer = co_await ex.gen->router.chat(ex.plan, ex.request);
      if (answer) {
        account_.ready(ex, answer->provider, answer->model, answer->upstream_time, CacheStatus::miss);
        ex.record.used = answer->usage;
        ex.record.cost_usd = answer->cost_usd;
        f->complete(std::move(*answer));
      } else {
        failed = answer.error();
      }
    }
  } catch (const std::exception& e) {
    failed = make_error(errc::internal, std::string("response cache fetch: ") + e.what());
  }
  ex.record.cache = CacheStatus::miss;
  if (failed) {
    f->fail(*failed);
    AccountStage::bill(ex.record, *failed);
    account_.fail(ex, *failed);
  } else {
    account_.finish(ex);
  }
  cache_.settle(ex.cache, f);
  (void)keep;  // held to here: a stream's fetch outlives the call that started it
}

asio::awaitable<void> CacheStage::from_shared(const cache::CachePlan& plan) {
  if (!shared_ || !plan.lookup || cache_.held(plan)) co_return;
  auto entry = co_await shared_->get(plan.key);
  // Another replica's answer, unless it expired meanwhile (the store checks age and TTL on lookup).
  if (entry && !cache_.held(plan)) cache_.adopt(plan, std::move(*entry));
}

asio::awaitable<result<ChatResponse>> CacheStage::answer(Exchange& ex) {
  const cache::CachePlan& plan = ex.cache;
  co_await from_shared(plan);
  std::optional<std::chrono::nanoseconds> elsewhere;  // set once this request waited for another worker's fetch
  for (;;) {
    auto entry = cache_.find(plan);
    if (!entry) entry = cache_.find_other_shape(plan, false);  // a native stream stored: its whole answer
    if (entry) {
      if (auto body = cache::whole_body(*entry)) {
        if (elsewhere) account_elsewhere(ex, entry.get(), nullptr, *elsewhere);
        else account_hit(ex, *entry);
        ChatResponse out{std::move(*body), entry->provider, entry->model};
        out.native = entry->native;
        out.cache = elsewhere ? CacheStatus::coalesced : CacheStatus::hit;
        out.cache_age_ms = age_of(*entry, cache_.now_ms());
        co_return out;
      }
    }
    auto flight = cache_.in_flight(plan);
    if (!flight && !cache_.claim(plan)) {  // another worker fetches it
      if (auto end = co_await wait_elsewhere(ex, elsewhere)) co_return *end;
      continue;
    }
    if (!flight) {
      // The leader fetches in its own coroutine (no hop through the reactor); if its
      // client leaves, the fetch ends cancelled and a waiting follower takes over.
      flight = cache_.start(plan, false);
      cache_.count(plan.route, CacheStatus::miss);
      WholeReader reader(flight);
      co_await fetch(flight, ex, nullptr);
      if (flight->state() == cache::Flight::State::failed) co_return flight->error();
      ChatResponse out = flight->whole();
      out.cache = CacheStatus::miss;
      co_return out;
    }
    const auto waited_from = account_.now();
    WholeReader reader(flight);
    const bool stayed = co_await flight->wait(SIZE_MAX);
    std::optional<Error> failed;
    if (!stayed) failed = make_error(errc::cancelled, "the client left");
    else if (flight->state() == cache::Flight::State::failed) failed = flight->error();
    if (stayed && failed && failed->code == errc::cancelled) continue;  // the leader's client left: take over
    ChatResponse out;
    if (!failed) {
      if (flight->streaming()) {
        auto body = cache::assemble_completion(flight->chunks());
        if (body) out.body = std::move(*body);
        else failed = make_error(errc::upstream_bad_response, "the answer to an identical request in flight could not be assembled", flight->provider());
      } else {
        out.body = flight->whole().body;
      }
    }
    const auto waited = since(waited_from, account_.now());
    if (!failed) account_.ready(ex, flight->provider(), flight->model(), waited, CacheStatus::coalesced);
    account_follower(ex, *flight, failed ? &*failed : nullptr, waited);
    if (failed) co_return *failed;
    out.provider = flight->provider();
    out.model = flight->model();
    out.native = flight->native();
    out.upstream_time = waited;
    out.cache = CacheStatus::coalesced;
    co_return out;
  }
}

// A whole answer in flight for a stream: waits for it, then replays it as a stream
// (`retry`: its leader's client left, and this request takes over).
asio::awaitable<result<ChatStream>> CacheStage::replay_whole(Exchange& ex, std::shared_ptr<cache::Flight> flight, bool& retry) {
  const bool include_usage = providers::wants_usage(ex.request.body);
  const auto waited_from = account_.now();
  WholeReader reader(flight);
  const bool stayed = co_await flight->wait(SIZE_MAX);
  const Error gone = make_error(errc::cancelled, "the client left");
  const Error* failed = !stayed ? &gone : flight->state() == cache::Flight::State::failed ? &flight->error() : nullptr;
  retry = stayed && failed && failed->code == errc::cancelled;
  if (retry) co_return gone;
  const auto waited = since(waited_from, account_.now());
  if (!failed) account_.ready(ex, flight->provider(), flight->model(), waited, CacheStatus::coalesced);
  account_follower(ex, *flight, failed, waited);
  if (failed) co_return *failed;
  auto whole = std::make_shared<cache::CachedEntry>();
  whole->body = flight->whole().body;
  whole->usage = flight->usage();
  ChatStream out(cache::entry_reader(std::move(whole), include_usage), flight->provider(), flight->model(), waited);
  out.set_cache(CacheStatus::coalesced);
  co_return out;
}

// A stream read from a flight: the leader's (its fetch runs in a coroutine of its own and
// accounts the exchange) or a follower's (accounted when its stream ends).
asio::awaitable<result<ChatStream>> CacheStage::read_flight(std::shared_ptr<Exchange> ex, std::shared_ptr<cache::Flight> flight) {
  const bool include_usage = providers::wants_usage(ex->request.body);
  const bool leader = !flight;
  if (leader) {
    flight = cache_.start(ex->cache, true);
    cache_.count(ex->cache.route, CacheStatus::miss);
    asio::co_spawn(ex_, fetch(flight, *ex, ex), asio::bind_cancellation_slot(flight->cancel_slot(), asio::detached));
  }
  const auto waited_from = account_.now();
  std::function<void(const Error*)> on_end;
  if (!leader) {
    on_end = [this, ex, flight, waited_from](const Error* e) {
      account_follower(*ex, *flight, e, since(waited_from, account_.now()));
    };
  }
  auto source = cache::flight_reader(flight, include_usage, leader, std::move(on_end));
  co_await source->fill();  // the first chunk, the end or the failure
  if (flight->chunk_count() == 0) {
    const bool cancelled = (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
    if (cancelled) co_return make_error(errc::cancelled, "the client left");
    if (flight->state() == cache::Flight::State::failed) {
      Error e = flight->error();
      (void)source->poll();  // the source's end: a follower's row, with this error
      co_return e;
    }
  }
  const auto upstream = leader ? flight->upstream_time() : since(waited_from, account_.now());
  if (!leader) account_.ready(*ex, flight->provider(), flight->model(), upstream, CacheStatus::coalesced);
  ChatStream out(std::move(source), flight->provider(), flight->model(), upstream);
  out.set_native(flight->native());
  out.set_cache(leader ? CacheStatus::miss : CacheStatus::coalesced);
  co_return out;
}

asio::awaitable<result<ChatStream>> CacheStage::stream(std::shared_ptr<Exchange> ex) {
  const bool include_usage = providers::wants_usage(ex->request.body);
  co_await from_shared(ex->cache);
  std::optional<std::chrono::nanoseconds> elsewhere;  // set once this request waited for another worker's fetch
  for (;;) {
    auto entry = cache_.find(ex->cache);
    if (!entry) entry = cache_.find_other_shape(ex->cache, true);  // a native whole answer stored: its events
    if (entry) {
      if (elsewhere) account_elsewhere(*ex, entry.get(), nullptr, *elsewhere);
      else account_hit(*ex, *entry);
      ChatStream out(cache::entry_reader(entry, include_usage), entry->provider, entry->model);
      out.set_native(entry->native);
      out.set_cache(elsewhere ? CacheStatus::coalesced : CacheStatus::hit, age_of(*entry, cache_.now_ms()));
      co_return out;
    }
    auto flight = cache_.in_flight(ex->cache);
    if (!flight && !cache_.claim(ex->cache)) {  // another worker fetches it
      if (auto end = co_await wait_elsewhere(*ex, elsewhere)) co_return *end;
      continue;
    }
    if (!flight || flight->streaming()) co_return co_await read_flight(ex, std::move(flight));
    bool retry = false;
    auto replayed = co_await replay_whole(*ex, std::move(flight), retry);
    if (!retry) co_return replayed;
  }
}

}  // namespace switchyard::pipeline
