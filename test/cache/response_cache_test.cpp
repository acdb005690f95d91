#define BOOST_TEST_MODULE response_cache
// cache/: the key (canonicalisation: key order and the stream flag do not
// matter, anything else does, scope / API / route apart) and the store (LRU
// under a byte budget, TTL, max-age, shared entries).
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "cache/cache_key.hpp"
#include "cache/response_store.hpp"

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
  const auto before = store.bytes();
  store.put("b", entry("BB", 2000, 5000));  // replaced, not added
  BOOST_TEST(store.entries() == 1u);
  BOOST_TEST(store.bytes() == before + 1);
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
