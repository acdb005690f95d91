// Gateway's paths through the response cache (a route with `cache = true`):
// a hit, a request coalesced with an identical one in flight, or the leader
// that fetches the answer (and stores it).
#include "gateway/gateway_impl.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include "cache/completion_chunks.hpp"
#include "providers/openai_usage.hpp"

namespace switchyard {

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
}  // namespace

void Gateway::Impl::account_hit(ChatRequest& request, const cache::CachePlan& plan, const cache::CachedEntry& entry, bool stream,
                                Clock::time_point started) {
  if (request.admission) request.admission->finish(Usage{}, 0);  // a request, no tokens, nothing spent
  request.admission.reset();
  cache.count(plan.route, CacheStatus::hit, entry.cost_usd);
  const auto took = Clock::now() - started;
  record(request, plan.route, entry.provider, entry.model, 200, stream, Usage{}, 0, took,
         stream ? std::chrono::duration<double, std::milli>(took).count() : 0, nullptr, {}, CacheStatus::hit, entry.cost_usd);
}

std::shared_ptr<cache::Flight> Gateway::Impl::lead(ChatRequest& request, const Prepared& prepared, const cache::CachePlan& plan,
                                                   Clock::time_point started) {
  auto flight = cache.start(plan, true);
  cache.count(plan.route, CacheStatus::miss);
  // The fetch owns the request (and its admission: the leader's key pays for the answer).
  asio::co_spawn(ex, fetch(flight, std::move(request), prepared.gen, prepared.model, plan, started),
                 asio::bind_cancellation_slot(flight->cancel_slot(), asio::detached));
  return flight;
}

asio::awaitable<void> Gateway::Impl::fetch(std::shared_ptr<cache::Flight> f, ChatRequest request, std::shared_ptr<Generation> gen,
                                           std::string model, cache::CachePlan plan, Clock::time_point started) {
  const bool streaming = f->streaming();
  Usage used;
  double cost = 0;
  std::string provider, target_model;
  std::optional<Error> failed;
  double ttft_ms = 0;
  std::chrono::nanoseconds upstream{0};
  try {
    auto& router = gen->router;
    auto route = gen->resolver.resolve(model);  // the leader's plan viewed its own copy of the name
    if (!route) {
      failed = route.error();
    } else if (!streaming) {
      auto answer = co_await router.chat(*route, request);
      if (answer) {
        used = answer->usage;
        cost = answer->cost_usd;
        provider = answer->provider;
        target_model = answer->model;
        upstream = answer->upstream_time;
        f->complete(std::move(*answer));
      } else {
        failed = answer.error();
      }
    } else {
      auto stream = co_await router.chat_stream(*route, request);
      if (!stream) {
        failed = stream.error();
      } else {
        ttft_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
        provider = stream->provider();
        target_model = stream->model();
        upstream = stream->upstream_time();
        f->open(provider, target_model, stream->native(), upstream);
        for (;;) {
          co_await f->room();  // the slowest client holds back the provider
          auto item = co_await stream->next();
          f->set_usage(stream->usage(), stream->cost_usd());
          if (!item) {
            failed = item.error();
            break;
          }
          if (!*item) break;
          f->push(**item);
        }
        used = stream->usage();
        cost = stream->cost_usd();
        if (!failed) f->end(used, cost);
      }
    }
  } catch (const std::exception& e) {
    failed = make_error(errc::internal, std::string("response cache fetch: ") + e.what());
  }
  if (failed) {
    f->fail(*failed);
    if (failed->billed_prompt_tokens > 0 && !used.reported) {  // whole answers: the provider had the request
      used.prompt_tokens = std::max(used.prompt_tokens, failed->billed_prompt_tokens);
      cost = std::max(cost, failed->billed_usd);
    }
  }
  if (request.admission) request.admission->finish(used, cost);
  const int status = !failed ? 200 : failed->code == errc::cancelled ? 499 : error::http_status_of(*failed);
  record(request, plan.route, failed && provider.empty() ? std::string_view(failed->provider) : std::string_view(provider), target_model, status,
         streaming, used, cost, Clock::now() - started, ttft_ms, failed ? &*failed : nullptr, upstream, CacheStatus::miss);
  cache.settle(plan, f);
}

asio::awaitable<void> Gateway::Impl::from_shared(const cache::CachePlan& plan) {
  if (!shared_cache || !plan.lookup || cache.held(plan)) co_return;
  auto entry = co_await shared_cache->get(plan.key);
  // Another replica's answer, unless it expired meanwhile (the store checks age and TTL on lookup).
  if (entry && !cache.held(plan)) cache.adopt(plan, std::move(*entry));
}

asio::awaitable<result<ChatResponse>> Gateway::Impl::answer_cached(ChatRequest& request, const Prepared& prepared, const cache::CachePlan& plan,
                                                                   Clock::time_point started) {
  co_await from_shared(plan);
  for (;;) {
    auto entry = cache.find(plan);
    if (!entry) entry = cache.find_other_shape(plan, false);  // a native stream stored: its whole answer
    if (entry) {
      if (auto body = cache::whole_body(*entry)) {
        account_hit(request, plan, *entry, false, started);
        ChatResponse out{std::move(*body), entry->provider, entry->model};
        out.native = entry->native;
        out.cache = CacheStatus::hit;
        out.cache_age_ms = age_of(*entry, cache.now_ms());
        co_return out;
      }
    }
    auto flight = cache.in_flight(plan);
    if (!flight) {
      // The leader fetches in its own coroutine (no hop through the reactor); if its
      // client leaves, the fetch ends cancelled and a waiting follower takes over.
      flight = cache.start(plan, false);
      cache.count(plan.route, CacheStatus::miss);
      WholeReader reader(flight);
      co_await fetch(flight, std::move(request), prepared.gen, prepared.model, plan, started);
      if (flight->state() == cache::Flight::State::failed) co_return flight->error();
      ChatResponse out = flight->whole();
      out.cache = CacheStatus::miss;
      co_return out;
    }
    const auto waited_from = Clock::now();
    WholeReader reader(flight);
    const bool stayed = co_await flight->wait(SIZE_MAX);
    const auto waited = Clock::now() - waited_from;
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
    // A follower: a request (its admission finished with nothing used), a ledger row with what it saved.
    if (request.admission) request.admission->finish(Usage{}, 0);
    request.admission.reset();
    const double saved = failed ? 0 : flight->cost_usd();
    cache.count(plan.route, CacheStatus::coalesced, saved);
    const int status = !failed ? 200 : failed->code == errc::cancelled ? 499 : error::http_status_of(*failed);
    record(request, plan.route, flight->provider(), flight->model(), status, false, Usage{}, 0, Clock::now() - started, 0,
           failed ? &*failed : nullptr, waited, CacheStatus::coalesced, saved);
    if (failed) co_return *failed;
    out.provider = flight->provider();
    out.model = flight->model();
    out.native = flight->native();
    out.upstream_time = std::chrono::duration_cast<std::chrono::nanoseconds>(waited);
    out.cache = CacheStatus::coalesced;
    co_return out;
  }
}

asio::awaitable<result<ChatStream>> Gateway::Impl::stream_cached(ChatRequest& request, const Prepared& prepared, const cache::CachePlan& plan,
                                                                 Clock::time_point started) {
  const bool include_usage = providers::wants_usage(request.body);
  std::shared_ptr<cache::Flight> flight;
  co_await from_shared(plan);
  for (;;) {
    auto entry = cache.find(plan);
    if (!entry) entry = cache.find_other_shape(plan, true);  // a native whole answer stored: its events
    if (entry) {
      account_hit(request, plan, *entry, true, started);
      ChatStream out(cache::entry_reader(entry, include_usage), entry->provider, entry->model);
      out.set_native(entry->native);
      out.set_cache(CacheStatus::hit, age_of(*entry, cache.now_ms()));
      co_return out;
    }
    flight = cache.in_flight(plan);
    if (!flight || flight->streaming()) break;
    // A whole answer in flight: wait for it, then replay it as a stream.
    const auto waited_from = Clock::now();
    WholeReader reader(flight);
    const bool stayed = co_await flight->wait(SIZE_MAX);
    const Error gone = make_error(errc::cancelled, "the client left");
    const Error* failed = !stayed ? &gone : flight->state() == cache::Flight::State::failed ? &flight->error() : nullptr;
    if (stayed && failed && failed->code == errc::cancelled) continue;  // its leader's client left: take over
    if (request.admission) request.admission->finish(Usage{}, 0);
    request.admission.reset();
    const double saved = failed ? 0 : flight->cost_usd();
    cache.count(plan.route, CacheStatus::coalesced, saved);
    record(request, plan.route, flight->provider(), flight->model(), failed ? (failed == &gone ? 499 : error::http_status_of(*failed)) : 200, true,
           Usage{}, 0, Clock::now() - started, std::chrono::duration<double, std::milli>(Clock::now() - started).count(), failed,
           Clock::now() - waited_from, CacheStatus::coalesced, saved);
    if (failed) co_return *failed;
    auto whole = std::make_shared<cache::CachedEntry>();
    whole->body = flight->whole().body;
    whole->usage = flight->usage();
    ChatStream out(cache::entry_reader(std::move(whole), include_usage), flight->provider(), flight->model(),
                   std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - waited_from));
    out.set_cache(CacheStatus::coalesced);
    co_return out;
  }
  const bool leader = !flight;
  if (leader) flight = lead(request, prepared, plan, started);
  const auto waited_from = Clock::now();
  auto ticket = std::move(request.admission);  // a follower's: finished when its stream ends
  std::function<void(const Error*)> on_end;
  if (!leader) {
    on_end = [this, ticket, flight, plan, started, request_id = request.request_id, key = request.key, waited_from](const Error* e) {
      if (ticket) ticket->finish(Usage{}, 0);
      const double saved = e ? 0 : flight->cost_usd();
      cache.count(plan.route, CacheStatus::coalesced, saved);
      ChatRequest who{boost::json::object(), std::nullopt, request_id, key};
      record(who, plan.route, flight->provider(), flight->model(), !e ? 200 : e->code == errc::cancelled ? 499 : error::http_status_of(*e), true,
             Usage{}, 0, Clock::now() - started, 0, e, {}, CacheStatus::coalesced, saved);
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
  ChatStream out(std::move(source), flight->provider(), flight->model(),
                 leader ? flight->upstream_time() : std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - waited_from));
  out.set_native(flight->native());
  out.set_cache(leader ? CacheStatus::miss : CacheStatus::coalesced);
  co_return out;
}
}  // namespace switchyard
