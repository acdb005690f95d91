#define BOOST_TEST_MODULE response_cache
// cache/: the key (canonicalisation: key order and the stream flag do not
// matter, anything else does, scope / API / route apart), the store (LRU
// under a byte budget, TTL, max-age, shared entries), a stream and a whole
// answer turned into each other, the client's Cache-Control, the cache's
// decisions per request, and a fetch in flight (back-pressure, memory).
// (cache_gateway_test.cpp: the same through the real gateway.)
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "auth/key_store.hpp"
#include "cache/cache_key.hpp"
#include "cache/completion_chunks.hpp"
#include "cache/response_cache.hpp"
#include "cache/response_store.hpp"
#include "cache/shared_cache.hpp"
#include "server/cache_control.hpp"

using namespace switchyard;
using namespace switchyard::cache;
namespace json = boost::json;

namespace {
json::object obj(std::string_view s) { return json::parse(s).as_object(); }
std::string key_of(std::string_view body, std::string_view scope = "key-a", std::string_view api = "chat", std::string_view route = "fast") {
  return cache_key(scope, api, route, obj(body));
}
CachedEntry entry(std::string body, std::int64_t stored_ms = 0, std::int64_t ttl_ms = 1000) {
  CachedEntry e;
  e.body = std::move(body);
  e.stored_ms = stored_ms;
  e.ttl_ms = ttl_ms;
  return e;
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_key_ignores_key_order_and_how_the_answer_is_delivered) {
  const auto base = key_of(R"({"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5})");
  BOOST_TEST(base.size() == 64u);
  BOOST_TEST(key_of(R"({"temperature":0.5,"messages":[{"content":"hi","role":"user"}],"model":"fast"})") == base);
  BOOST_TEST(key_of(R"({"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"stream":true,"stream_options":{"include_usage":true}})") == base);
  BOOST_TEST(key_of(R"({"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"mock":{"tokens":3}})") == base);
  BOOST_TEST(canonical_body(obj(R"({"b":{"z":1,"a":[{"y":2,"x":1}]},"a":"s"})")) == R"({"a":"s","b":{"a":[{"x":1,"y":2}],"z":1}})");
}

BOOST_AUTO_TEST_CASE(any_other_difference_is_another_entry) {
  const auto base = key_of(R"({"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5})");
  for (const char* other : {R"({"model":"fast","messages":[{"role":"user","content":"hj"}],"temperature":0.5})",
                            R"({"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.6})",
                            R"({"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"seed":1})",
                            R"({"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"tools":[]})",
                            R"({"model":"fast","messages":[{"role":"user","content":"hi "}],"temperature":0.5})",
                            R"({"model":"fast","messages":[{"role":"system","content":"hi"}],"temperature":0.5})"}) {
    BOOST_TEST(key_of(other) != base, other);
  }
  const std::string body = R"({"model":"fast","messages":[]})";
  BOOST_TEST(key_of(body, "key-a") != key_of(body, "key-b"));                    // scope "key": never another key's
  BOOST_TEST(key_of(body, "key-a", "chat") != key_of(body, "key-a", "messages")); // another client API
  BOOST_TEST(key_of(body, "key-a", "chat", "fast") != key_of(body, "key-a", "chat", "smart"));
  BOOST_TEST(key_of(body, "ab", "c") != key_of(body, "a", "bc"));                 // fields cannot run into each other
}

BOOST_AUTO_TEST_CASE(the_store_evicts_the_least_recently_used_under_its_byte_budget) {
  const std::size_t one = ResponseStore::size_of("k1", entry(std::string(1000, 'x')));
  ResponseStore store(3 * one + 10);
  BOOST_TEST(store.put("k1", entry(std::string(1000, 'x'))));
  BOOST_TEST(store.put("k2", entry(std::string(1000, 'y'))));
  BOOST_TEST(store.put("k3", entry(std::string(1000, 'z'))));
  BOOST_TEST(store.entries() == 3u);
  BOOST_REQUIRE(store.find("k1", 1));  // k1 is now the most recently used: k2 goes first
  BOOST_TEST(store.put("k4", entry(std::string(1000, 'w'))));
  BOOST_TEST(store.evictions() == 1u);
  BOOST_TEST(!store.find("k2", 1));
  BOOST_TEST(store.find("k1", 1)->body == std::string(1000, 'x'));
  BOOST_TEST(store.bytes() <= store.max_bytes());
  // A fill far past the budget never passes it.
  for (int i = 0; i < 1000; ++i) {
    store.put("f" + std::to_string(i), entry(std::string(static_cast<std::size_t>(100 + i % 900), 'f')));
    BOOST_REQUIRE(store.bytes() <= store.max_bytes());
  }
  // Too big alone: refused, nothing evicted for it.
  const auto before = store.entries();
  BOOST_TEST(!store.put("huge", entry(std::string(4 * one, 'h'))));
  BOOST_TEST(store.entries() == before);
  // Chunks count too.
  CachedEntry streamed = entry("{}");
  streamed.chunks.assign(100, std::string(100, 'c'));
  BOOST_TEST(ResponseStore::size_of("k", streamed) > 100u * 100u);
}

BOOST_AUTO_TEST_CASE(entries_expire_after_their_ttl_and_max_age_is_the_clients_own) {
  ResponseStore store(1 << 20);
  store.put("a", entry("A", 1000, 500));
  store.put("b", entry("B", 1000, 5000));
  BOOST_TEST(store.find("a", 1400));
  BOOST_TEST(!store.find("a", 1501));  // older than its TTL: dropped
  BOOST_TEST(store.entries() == 1u);
  BOOST_TEST(!store.find("b", 3000, 1000));  // too old for this client ...
  BOOST_TEST(store.find("b", 3000, 2500));   // ... fine for one that accepts it
  BOOST_TEST(store.find("b", 3000));
  store.put("c", entry("C", 1000, 100));
  store.put("d", entry("D", 1000, 100));
  BOOST_TEST(store.sweep(2000) == 2u);
  BOOST_TEST(store.entries() == 1u);
  store.put("b", entry(std::string(100, 'B'), 2000, 5000));  // replaced, not added
  BOOST_TEST(store.entries() == 1u);
  BOOST_TEST(store.bytes() == ResponseStore::size_of("b", entry(std::string(100, 'B'))));
  BOOST_TEST(ResponseStore::size_of("b", entry(std::string(100, 'B'))) >= ResponseStore::size_of("b", entry("BB")) + 100);
}

BOOST_AUTO_TEST_CASE(a_hit_being_replayed_survives_its_eviction) {
  ResponseStore store(ResponseStore::size_of("k1", entry("one")) + 10);
  store.put("k1", entry("one"));
  auto held = store.find("k1", 0);
  BOOST_REQUIRE(held);
  store.put("k2", entry("two"));  // evicts k1
  BOOST_TEST(!store.find("k1", 0));
  BOOST_TEST(held->body == "one");
}

namespace {
// A stream as a provider sends it: the role, reasoning, text in pieces, a tool
// call whose arguments arrive in three parts, the finish, the usage.
std::deque<std::string> sample_stream() {
  const std::string head = R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"m","choices":[)";
  return {head + R"({"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})",
          head + R"({"index":0,"delta":{"reasoning_content":"Think"},"finish_reason":null}]})",
          head + R"({"index":0,"delta":{"content":"Hel"},"finish_reason":null}]})",
          head + R"({"index":0,"delta":{"content":"lo \"you\""},"finish_reason":null}]})",
          head + R"({"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]})",
          head + R"({"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]},"finish_reason":null}]})",
          head + R"({"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\":\"Paris\"}"}}]},"finish_reason":null}]})",
          head + R"({"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
          R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}})"};
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_stream_assembles_into_the_whole_answer_and_back) {
  const auto whole = assemble_completion(sample_stream());
  BOOST_REQUIRE(whole);
  const auto j = json::parse(*whole).as_object();
  BOOST_TEST(j.at("object").as_string() == "chat.completion");
  BOOST_TEST(j.at("id").as_string() == "chatcmpl-1");
  BOOST_TEST(j.at("created").as_int64() == 7);
  const auto& choice = j.at("choices").as_array()[0].as_object();
  BOOST_TEST(choice.at("finish_reason").as_string() == "tool_calls");
  const auto& m = choice.at("message").as_object();
  BOOST_TEST(m.at("content").as_string() == "Hello \"you\"");
  BOOST_TEST(m.at("reasoning_content").as_string() == "Think");
  const auto& call = m.at("tool_calls").as_array()[0].as_object();
  BOOST_TEST(call.at("id").as_string() == "call_1");
  BOOST_TEST(call.at("function").at("name").as_string() == "get_weather");
  BOOST_TEST(call.at("function").at("arguments").as_string() == R"({"city":"Paris"})");
  BOOST_TEST(j.at("usage").at("total_tokens").as_int64() == 14);

  // Back into chunks, and together again: the same answer.
  const auto chunks = completion_to_chunks(*whole, true);
  BOOST_REQUIRE(chunks.size() >= 4u);
  BOOST_TEST(is_usage_only_chunk(chunks.back()));
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) BOOST_TEST(!is_usage_only_chunk(chunks[i]));
  const auto again = assemble_completion(std::deque<std::string>(chunks.begin(), chunks.end()));
  BOOST_REQUIRE(again);
  BOOST_TEST(json::parse(*again) == json::parse(*whole));
  BOOST_TEST(completion_to_chunks(*whole, false).size() == chunks.size() - 1);  // no usage chunk unless asked

  // A stream without a finish reason (cut) is no answer; nor is something that is not a chunk.
  auto cut = sample_stream();
  cut.erase(cut.begin() + 7, cut.end());
  BOOST_TEST(!assemble_completion(cut));
  BOOST_TEST(!assemble_completion(std::vector<std::string>{"not json"}));
  BOOST_TEST(completion_to_chunks("[1,2]", true).empty());
}

BOOST_AUTO_TEST_CASE(only_finished_answers_count_as_finished) {
  BOOST_TEST(finished_answer(R"({"object":"chat.completion","choices":[{"finish_reason": "stop"}]})"));
  BOOST_TEST(!finished_answer(R"({"choices":[{"finish_reason":null}]})"));
  BOOST_TEST(finished_answer(R"({"type":"message","content":[],"stop_reason":"end_turn"})"));
  BOOST_TEST(!finished_answer(R"({"type":"message","content":[],"stop_reason":null})"));
  BOOST_TEST(finished_answer(R"({"object":"response","status":"completed","output":[]})"));
  // A failed response whose items say "completed": the top level decides.
  BOOST_TEST(!finished_answer(R"({"object":"response","status":"failed","output":[{"type":"message","status":"completed"}]})"));
  BOOST_TEST(!finished_answer(R"({"content":"the \"finish_reason\":\"stop\" text"})"));  // inside a string
  BOOST_TEST(!finished_answer("not json"));
  // Streams: the terminal event only.
  UsageMarks none;
  auto stream = [](std::initializer_list<const char*> events) { return std::deque<std::string>(events.begin(), events.end()); };
  BOOST_TEST(finished_stream(stream({R"({"choices":[{"delta":{"content":"a"}}]})", R"({"choices":[{"delta":{},"finish_reason":"stop"}]})"}), none));
  BOOST_TEST(!finished_stream(stream({R"({"choices":[{"delta":{"content":"a"}}]})"}), none));  // cut
  BOOST_TEST(finished_stream(stream({"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"}}",
                                     "event: message_stop\ndata: {\"type\":\"message_stop\"}"}), none));
  BOOST_TEST(!finished_stream(stream({"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"}}",
                                      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}"}), none));
  BOOST_TEST(finished_stream(stream({"event: response.output_item.done\ndata: {\"type\":\"response.output_item.done\",\"item\":{\"status\":\"completed\"}}",
                                     "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"status\":\"completed\"}}"}), none));
  // response.failed after items that completed: the substring "status":"completed" stored it as a hit for an hour.
  BOOST_TEST(!finished_stream(stream({"event: response.output_item.done\ndata: {\"type\":\"response.output_item.done\",\"item\":{\"status\":\"completed\"}}",
                                      "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"status\":\"failed\"}}"}), none));
  const std::string usage = usage_chunk(sample_stream().front(), Usage{3, 4, 1, 0, 2, true});
  const auto u = json::parse(usage).as_object();
  BOOST_TEST(u.at("id").as_string() == "chatcmpl-1");
  BOOST_TEST(u.at("usage").at("total_tokens").as_int64() == 7);
  BOOST_TEST(is_usage_only_chunk(usage));
}

BOOST_AUTO_TEST_CASE(cache_control_directives) {
  using server::parse_cache_control;
  auto c = parse_cache_control("no-cache", "");
  BOOST_TEST((c.no_cache && !c.no_store && !c.off && c.max_age_ms == -1));
  c = parse_cache_control(" NO-STORE , max-age=60", "");
  BOOST_TEST((!c.no_cache && c.no_store && c.max_age_ms == 60'000));
  c = parse_cache_control("max-age=\"5\", max-age=10", "Off");
  BOOST_TEST((c.off && c.max_age_ms == 5'000));  // the smaller of two
  for (const char* bad : {"max-age=-1", "max-age=", "max-age=1x", "max-age", "max-age=99999999999999999999", ",,,", "=", "max-age=\""}) {
    BOOST_TEST_CONTEXT(bad) {
      c = parse_cache_control(bad, "on");
      BOOST_TEST((!c.no_cache && !c.no_store && !c.off && c.max_age_ms == -1));
    }
  }
}

namespace {
struct Clocked {
  std::int64_t now = 1'000'000;
  boost::asio::io_context ioc;
  CacheConfig config;
  Clocked() { config.enabled = true; }
  ResponseCache make() { return ResponseCache(ioc.get_executor(), config, [this] { return now; }); }
};

ModelRouteConfig route(bool cache, std::int64_t ttl_ms = 0) {
  ModelRouteConfig r{"fast", Strategy::failover, {}};
  r.cache = cache;
  r.cache_ttl = Millis(ttl_ms);
  return r;
}

// A whole answer fetched and settled for `plan`.
void fill(ResponseCache& cache, const CachePlan& plan, std::string body) {
  auto f = cache.start(plan, false);
  ChatResponse r;
  r.body = std::move(body);
  r.cost_usd = 0.5;
  f->complete(std::move(r));
  cache.settle(plan, f);
}
}  // namespace

BOOST_AUTO_TEST_CASE(what_the_cache_does_for_a_request) {
  Clocked t;
  auto cache = t.make();
  ChatRequest r{obj(R"({"model":"fast","messages":[{"role":"user","content":"hi"}]})")};
  const auto cached = route(true), uncached = route(false);
  BOOST_TEST((cache.plan(r, nullptr, &uncached, "fast", false).status == CacheStatus::none));
  BOOST_TEST((cache.plan(r, nullptr, nullptr, "fast", false).status == CacheStatus::none));  // provider/model and default routes
  auto p = cache.plan(r, nullptr, &cached, "fast", false);
  BOOST_TEST((p.status == CacheStatus::miss && p.lookup && p.store));
  BOOST_TEST(p.ttl_ms == 3'600'000);
  BOOST_TEST(cache.plan(r, nullptr, &cached, "fast", true).key == p.key);  // chat completions: one entry for both shapes
  r.cache.no_cache = true;
  p = cache.plan(r, nullptr, &cached, "fast", false);
  BOOST_TEST((!p.lookup && p.store));
  r.cache = CacheControl{};
  r.cache.off = true;
  BOOST_TEST((cache.plan(r, nullptr, &cached, "fast", false).status == CacheStatus::bypass));
  // A native request's answer is in its own API: its two shapes are two entries.
  r.cache = CacheControl{};
  auto native = std::make_shared<NativeRequest>();
  native->body = obj(R"({"model":"fast","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})");
  r.native = native;
  BOOST_TEST(cache.plan(r, nullptr, &cached, "fast", true).key != cache.plan(r, nullptr, &cached, "fast", false).key);
  // Keys apart: scope "key" by default.
  auth::KeyEntry a{"a"}, b{"b"};
  ChatRequest ra{r.body}, rb{r.body};
  BOOST_TEST(cache.plan(ra, &a, &cached, "fast", false).key != cache.plan(rb, &b, &cached, "fast", false).key);
  t.config.per_key = false;
  auto global = t.make();
  BOOST_TEST(global.plan(ra, &a, &cached, "fast", false).key == global.plan(rb, &b, &cached, "fast", false).key);
  t.config.enabled = false;
  BOOST_TEST((t.make().plan(ra, nullptr, &cached, "fast", false).status == CacheStatus::none));
}

BOOST_AUTO_TEST_CASE(entries_live_for_the_routes_ttl_and_unfinished_answers_are_not_stored) {
  Clocked t;
  auto cache = t.make();
  ChatRequest r{obj(R"({"model":"fast","messages":[{"role":"user","content":"hi"}]})")};
  const auto short_lived = route(true, 500);
  const auto plan = cache.plan(r, nullptr, &short_lived, "fast", false);
  BOOST_TEST(plan.ttl_ms == 500);
  fill(cache, plan, R"({"choices":[{"message":{"content":"x"},"finish_reason":"stop"}]})");
  BOOST_REQUIRE(cache.find(plan));
  BOOST_TEST(cache.find(plan)->cost_usd == 0.5);
  t.now += 499;
  BOOST_TEST(cache.find(plan));
  t.now += 2;
  BOOST_TEST(!cache.find(plan));
  BOOST_TEST(cache.store().entries() == 0u);

  fill(cache, plan, R"({"choices":[{"message":{"content":"x"},"finish_reason":null}]})");  // no finish: not stored
  BOOST_TEST(!cache.find(plan));
  auto failed = cache.start(plan, true);
  failed->open("p", "m", false, {});
  failed->push(R"({"choices":[{"delta":{"content":"x"},"finish_reason":"stop"}]})");
  failed->fail(make_error(errc::upstream_reset, "cut"));
  cache.settle(plan, failed);
  BOOST_TEST(!cache.find(plan));
  // no-store: fetched, not kept.
  r.cache.no_store = true;
  const auto unkept = cache.plan(r, nullptr, &short_lived, "fast", false);
  fill(cache, unkept, R"({"choices":[{"message":{"content":"x"},"finish_reason":"stop"}]})");
  BOOST_TEST(!cache.find(plan));
}

BOOST_AUTO_TEST_CASE(filling_and_evicting_stays_under_max_bytes) {
  Clocked t;
  t.config.max_bytes = 64 * 1024;
  auto cache = t.make();
  const auto cached = route(true);
  std::size_t peak = 0;
  for (int i = 0; i < 2000; ++i) {
    ChatRequest r{obj(R"({"model":"fast","messages":[{"role":"user","content":"q)" + std::to_string(i) + R"("}]})")};
    const auto plan = cache.plan(r, nullptr, &cached, "fast", false);
    fill(cache, plan, R"({"choices":[{"message":{"content":")" + std::string(static_cast<std::size_t>(200 + i % 700), 'x') + R"("},"finish_reason":"stop"}]})");
    peak = std::max(peak, cache.store().bytes());
  }
  BOOST_TEST(peak <= t.config.max_bytes);
  BOOST_TEST(cache.store().evictions() > 1500u);
  BOOST_TEST(cache.store().entries() > 10u);
  // An answer larger than a quarter of the cache is relayed but not stored.
  ChatRequest big{obj(R"({"model":"fast","messages":[{"role":"user","content":"big"}]})")};
  const auto plan = cache.plan(big, nullptr, &cached, "fast", false);
  fill(cache, plan, R"({"choices":[{"message":{"content":")" + std::string(20 * 1024, 'x') + R"("},"finish_reason":"stop"}]})");
  BOOST_TEST(!cache.find(plan));
}

BOOST_AUTO_TEST_CASE(a_fetch_waits_for_its_slowest_streaming_reader_and_frees_what_an_oversized_answer_passed) {
  boost::asio::io_context ioc;
  auto f = std::make_shared<Flight>(ioc.get_executor(), true, 4 * Flight::kMaxLag);
  Flight::Reader fast_reader, slow_reader;
  fast_reader.streaming = slow_reader.streaming = true;
  f->attach(&fast_reader);
  f->attach(&slow_reader);
  f->open("p", "m", false, {});
  const std::string piece(64 * 1024, 'x');
  int pushed = 0;
  bool blocked = false;
  boost::asio::co_spawn(ioc, [&]() -> boost::asio::awaitable<void> {
    for (int i = 0; i < 100; ++i) {
      co_await f->room();
      f->push(piece);
      ++pushed;
    }
    f->end(Usage{}, 0);
  }, boost::asio::detached);
  ioc.poll();
  // 1 MiB ahead of the slowest reader: the fetch waits.
  BOOST_TEST(pushed == static_cast<int>(Flight::kMaxLag / piece.size()) + 1);
  blocked = f->state() == Flight::State::running;
  BOOST_TEST(blocked);
  // The fast reader reading does not let it on; the slow one does.
  auto read_all = [&](Flight::Reader& r) {
    while (r.next < f->chunk_count()) {
      r.bytes += f->chunk(r.next++).size();
      f->advanced(r);
    }
  };
  read_all(fast_reader);
  ioc.poll();
  BOOST_TEST(pushed == static_cast<int>(Flight::kMaxLag / piece.size()) + 1);
  while (f->state() == Flight::State::running) {
    read_all(slow_reader);
    read_all(fast_reader);
    ioc.poll();
  }
  read_all(slow_reader);
  read_all(fast_reader);
  BOOST_TEST(pushed == 100);
  BOOST_TEST(f->oversized());  // 6.25 MiB > 4 MiB: not stored ...
  std::size_t held = 0;
  for (const auto& c : f->chunks()) held += c.size();
  BOOST_TEST(held <= piece.size());  // ... and what both readers passed was freed
  f->detach(&fast_reader);
  f->detach(&slow_reader);
}

BOOST_AUTO_TEST_CASE(answers_being_fetched_hold_at_most_max_bytes_together) {
  Clocked t;
  t.config.max_bytes = 64 * 1024;  // one answer may keep 16 KiB; all of them 64 KiB
  auto cache = t.make();
  const auto cached = route(true);
  std::vector<std::shared_ptr<Flight>> flights;
  std::vector<CachePlan> plans;
  const std::string piece(15 * 1024, 'x');
  for (int i = 0; i < 5; ++i) {
    ChatRequest r{obj(R"({"model":"fast","messages":[{"role":"user","content":"f)" + std::to_string(i) + R"("}]})")};
    plans.push_back(cache.plan(r, nullptr, &cached, "fast", true));
    auto f = cache.start(plans.back(), true);
    f->open("p", "m", false, {});
    f->push(piece);
    flights.push_back(f);
  }
  for (int i = 0; i < 4; ++i) BOOST_TEST(!flights[static_cast<std::size_t>(i)]->oversized());
  BOOST_TEST(flights[4]->oversized());  // the fifth would pass 64 KiB together: relayed, not kept
  BOOST_TEST(cache.inflight_bytes() == 5 * piece.size());
  for (int i = 0; i < 5; ++i) {
    flights[static_cast<std::size_t>(i)]->fail(make_error(errc::upstream_reset, "cut"));
    cache.settle(plans[static_cast<std::size_t>(i)], flights[static_cast<std::size_t>(i)]);
  }
  flights.clear();  // ended: their bytes are let go
  BOOST_TEST(cache.inflight_bytes() == 0u);
}

// The shared tier's format: an entry survives the trip through Redis whole;
// anything else read back is refused, never half-used.
BOOST_AUTO_TEST_CASE(a_shared_cache_entry_round_trips_and_bad_ones_are_refused) {
  cache::CachedEntry e;
  e.chunks = {R"({"choices":[{"delta":{"content":"hi"}}]})", R"({"choices":[],"usage":{"prompt_tokens":3}})"};
  e.marks.usage_only = {1};
  e.marks.carries_usage = true;
  e.usage.prompt_tokens = 3;
  e.usage.completion_tokens = 1;
  e.usage.reported = true;
  e.cost_usd = 0.25;
  e.provider = "mock";
  e.model = "mock-fast";
  e.stored_ms = 1000;
  e.ttl_ms = 60000;
  e.native = true;
  const auto back = cache::decode_entry(cache::encode_entry(e));
  BOOST_REQUIRE(back.has_value());
  BOOST_TEST(back->chunks == e.chunks, boost::test_tools::per_element());
  BOOST_TEST(back->marks.usage_only == e.marks.usage_only, boost::test_tools::per_element());
  BOOST_TEST(back->marks.carries_usage);
  BOOST_TEST(back->usage.prompt_tokens == 3);
  BOOST_TEST(back->usage.reported);
  BOOST_TEST(back->cost_usd == 0.25);
  BOOST_TEST(back->provider == "mock");
  BOOST_TEST(back->native);
  BOOST_TEST(back->stored_ms == 1000);
  BOOST_TEST(back->ttl_ms == 60000);
  auto tampered = boost::json::parse(cache::encode_entry(e)).as_object();
  tampered["usage_only"] = boost::json::array{7};  // past the chunks
  BOOST_TEST(!cache::decode_entry(boost::json::serialize(tampered)));
  tampered = boost::json::parse(cache::encode_entry(e)).as_object();
  tampered["v"] = 2;  // another version's entry
  BOOST_TEST(!cache::decode_entry(boost::json::serialize(tampered)));
  BOOST_TEST(!cache::decode_entry("not json"));
  BOOST_TEST(!cache::decode_entry(R"({"v":1})"));
}
