// The pipeline alone: its stages with an injected clock, a scripted fake
// provider, the in-memory response cache and a list for a ledger. No sockets,
// no threads. Each row: the key's limits and budget, the cache, what the
// provider does (answers, fails, cuts a stream, the client leaves) →
// the status, the x-ratelimit windows, exactly one ledger row with the
// right fields, the key's ticket finished once, the counters moved.
#include <boost/test/unit_test.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/json.hpp>

#include "auth/key_store.hpp"
#include "cache/response_cache.hpp"
#include "error/error_response.hpp"
#include "pipeline/account_stage.hpp"
#include "pipeline/admit_stage.hpp"
#include "pipeline/cache_stage.hpp"
#include "pipeline/chat_pipeline.hpp"
#include "support/async.hpp"
#include "support/fake_provider.hpp"

using namespace switchyard;
using namespace std::chrono;
namespace asio = boost::asio;
namespace json = boost::json;
using pipeline::Exchange;
using pipeline::Operation;

namespace {

// A ledger row, owned.
struct Row {
  std::string key, route, provider, model, error, cache;
  int status = 0;
  bool stream = false;
  std::int64_t prompt = 0, completion = 0;
  double cost = 0, saved = 0, overhead_us = 0;
};

struct ListSink final : pipeline::UsageSink {
  std::vector<Row> rows;
  void record(const ledger::UsageRow& r) noexcept override {
    rows.push_back(Row{std::string(r.key), std::string(r.route), std::string(r.provider), std::string(r.model), std::string(r.error),
                       std::string(r.cache), r.status, r.stream, r.prompt_tokens, r.completion_tokens, r.cost_usd, r.saved_usd,
                       r.overhead_us});
  }
};

// The generation's provider client: chat and streams from the scripted fake, embeddings made here.
class Forward final : public providers::ProviderClient {
 public:
  explicit Forward(test::FakeProvider& fake) : fake_(fake) {}
  const std::string& name() const noexcept override { return fake_.name(); }
  asio::awaitable<result<ChatResponse>> chat_completion(providers::ChatCall call) override { return fake_.chat_completion(std::move(call)); }
  asio::awaitable<result<std::unique_ptr<ChunkSource>>> chat_completion_stream(providers::ChatCall call) override {
    return fake_.chat_completion_stream(std::move(call));
  }
  asio::awaitable<result<ChatResponse>> embeddings(providers::ChatCall call) override {
    ChatResponse out{R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5]}],"usage":{"prompt_tokens":3,"total_tokens":3}})",
                     fake_.name(), std::string(call.model)};
    out.usage.prompt_tokens = 3;
    out.usage.reported = true;
    co_return out;
  }
  asio::awaitable<result<void>> probe() override { co_return result<void>(); }
  upstream::PoolStats pool_stats() const override { return {}; }
  void shutdown() noexcept override {}

 private:
  test::FakeProvider& fake_;
};

constexpr const char* kOpen = "sk-open-0123456789abcdef";
constexpr const char* kOneAMinute = "sk-rpm1-0123456789abcdef";
constexpr const char* kBudget = "sk-budget-0123456789abcd";
constexpr const char* kOneAtATime = "sk-conc1-0123456789abcdef";

Config pipeline_config() {
  Config c;
  ProviderConfig p;
  p.name = "fake";
  p.base_url = "http://127.0.0.1:9/v1";
  c.providers.push_back(p);
  TargetConfig t{"fake", "m1"};
  t.input_price = 1000;  // $ per million tokens: a few tokens cost something
  t.output_price = 2000;
  c.models.push_back(ModelRouteConfig{"fast", Strategy::failover, {t}});
  ModelRouteConfig cached{"cached", Strategy::failover, {t}};
  cached.cache = true;
  c.models.push_back(cached);
  c.keys.push_back(KeyConfig{"open", kOpen, {}});
  KeyConfig rpm{"rpm1", kOneAMinute, {}};
  rpm.limits.requests_per_minute = 1;
  c.keys.push_back(rpm);
  KeyConfig budget{"budget", kBudget, {}};
  budget.budget = BudgetConfig{1e-9, BudgetPeriod::month};
  c.keys.push_back(budget);
  KeyConfig conc{"conc1", kOneAtATime, {}};
  conc.limits.concurrent = 1;
  c.keys.push_back(conc);
  c.resilience.attempts_per_target = 1;
  c.cache.enabled = true;
  return c;
}

// The pipeline and its stages over one fake provider, on an injected clock.
struct Rig {
  asio::io_context ioc{1};
  test::FakeProvider fake{"fake"};
  std::int64_t wall = 1'800'000'000'000;
  pipeline::Clock::time_point steady{seconds(1000)};
  ListSink sink;
  pipeline::AccountStage account{sink, pipeline::Clocks{[this] { return steady; }, [this] { return wall; }}};
  cache::ResponseCache cache{ioc.get_executor(), pipeline_config().cache, [this] { return wall; }};
  pipeline::AdmitStage admit;
  pipeline::CacheStage cache_stage{ioc.get_executor(), cache, nullptr, account};
  providers::ConnectorRegistry registry;
  pipeline::ChatPipeline pipe;

  Rig() : pipe(make_generation(), admit, cache_stage, account) {}

  std::shared_ptr<pipeline::Generation> make_generation() {
    registry.add("openai", [this](const asio::any_io_executor&, const ProviderConfig&) { return std::make_unique<Forward>(fake); });
    return std::make_shared<pipeline::Generation>(ioc.get_executor(), pipeline_config(), registry, nullptr, nullptr, [this] { return wall; });
  }

  static ChatRequest request(const std::string& key, std::string_view model = "fast", std::string_view content = "hello") {
    ChatRequest r{json::object{{"model", model}, {"messages", json::array{json::object{{"role", "user"}, {"content", content}}}}}};
    if (!key.empty()) r.api_key = "Bearer " + key;
    r.request_id = "req-1";
    return r;
  }
  std::shared_ptr<Exchange> exchange(ChatRequest r, Operation op = Operation::chat, bool stream = false) {
    return std::make_shared<Exchange>(std::move(r), op, stream, steady);
  }
  result<ChatResponse> answer(Exchange& ex) { return test::run_async(ioc, pipe.answer(ex)); }
  // A stream, once handed out (its first chunk here), or why not.
  result<ChatStream> stream(std::shared_ptr<Exchange> ex) {
    std::optional<result<ChatStream>> out;
    auto open = [&]() -> asio::awaitable<void> { out.emplace(co_await pipe.stream(std::move(ex))); };
    asio::co_spawn(ioc, open(), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    if (ioc.stopped()) ioc.restart();
    while (!out && ioc.run_one_for(seconds(20)) > 0) {
    }
    BOOST_REQUIRE(out);
    return std::move(*out);
  }
  result<ChatResponse> answer(ChatRequest r, Operation op = Operation::chat) { return answer(*exchange(std::move(r), op)); }
  double spent(const char* key_name) {
    const auth::KeyEntry entry{key_name, {}, static_cast<std::size_t>(std::string_view(key_name) == "budget" ? 2 : 0)};
    return pipe.current().governor.status(entry).at("budget").at("spent_usd").to_number<double>();
  }
};

// Drains a stream: the chunks read and how it ended.
struct Drained {
  int chunks = 0;
  std::optional<Error> error;
};
asio::awaitable<Drained> drain(ChatStream& s) {
  Drained d;
  for (;;) {
    auto item = co_await s.next();
    if (!item) {
      d.error = item.error();
      co_return d;
    }
    if (!*item) co_return d;
    ++d.chunks;
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chat_pipeline)

// One request a row, each on a fresh pipeline: what the client gets and the one ledger row.
BOOST_AUTO_TEST_CASE(every_outcome_of_one_request_is_one_ledger_row_with_its_status) {
  struct Case {
    const char* name;
    std::string key;
    Operation op;
    std::optional<test::FakeProvider::Step> script;
    json::object body;  // empty: Rig::request(key)
    int status;
    const char* error;      // the row's error code ("" none)
    const char* provider;   // the row's provider
    std::int64_t prompt;    // -1: not checked
  };
  test::FakeProvider::Step failing;
  failing.error = test::upstream_failure(500);
  const std::vector<Case> cases = {
      {"answered", kOpen, Operation::chat, std::nullopt, {}, 200, "", "fake", -1},
      {"provider fails", kOpen, Operation::chat, failing, {}, 502, "upstream_server_error", "fake", 0},
      {"no messages", kOpen, Operation::chat, std::nullopt, json::object{{"model", "fast"}}, 400, "invalid_request", "", 0},
      {"unknown model", kOpen, Operation::chat, std::nullopt, json::object{{"model", "nope"}, {"messages", json::array{json::object{{"role", "user"}, {"content", "x"}}}}}, 404, "model_not_found", "", 0},
      {"wrong key", "sk-wrong-0123456789abcdef", Operation::chat, std::nullopt, {}, 401, "invalid_api_key", "", 0},
      {"embeddings", kOpen, Operation::embeddings, std::nullopt, json::object{{"model", "fast"}, {"input", "hello"}}, 200, "", "fake", 3},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      Rig rig;
      if (c.script) rig.fake.script(*c.script);
      ChatRequest r = Rig::request(c.key);
      if (!c.body.empty()) r.body = c.body;
      auto got = rig.answer(std::move(r), c.op);
      BOOST_TEST(got.has_value() == (c.status == 200));
      if (!got) BOOST_TEST(error::http_status_of(got.error()) == c.status);
      BOOST_REQUIRE(rig.sink.rows.size() == 1u);
      const Row& row = rig.sink.rows[0];
      BOOST_TEST(row.status == c.status);
      BOOST_TEST(row.error == c.error);
      BOOST_TEST(row.provider == c.provider);
      BOOST_TEST(row.key == (c.status == 401 ? "" : "open"));
      BOOST_TEST(!row.stream);
      if (c.prompt >= 0) BOOST_TEST(row.prompt == c.prompt);
      BOOST_TEST(rig.account.since_start().requests == 1u);
      BOOST_TEST(rig.account.since_start().errors == (c.status >= 400 ? 1u : 0u));
    }
  }
}

// The time inside the gateway: since the request was read, less the wait on the provider; never negative.
BOOST_AUTO_TEST_CASE(the_overhead_is_the_time_inside_the_gateway_on_the_injected_clock) {
  Rig rig;
  auto ex = rig.exchange(Rig::request(kOpen));
  ex->started = rig.steady - milliseconds(50);  // read 50 ms ago; the fake provider answers at once
  BOOST_REQUIRE(rig.answer(*ex));
  BOOST_TEST(ex->overhead_us == 50'000);
  BOOST_TEST(rig.sink.rows.at(0).overhead_us == 50'000.0);
  BOOST_TEST(rig.account.overhead().count() == 1u);
  auto late = rig.exchange(Rig::request(kOpen));
  late->started = rig.steady + seconds(5);  // a clock that went backwards: clamped
  BOOST_REQUIRE(rig.answer(*late));
  BOOST_TEST(late->overhead_us == 0);
}

// The windows for the x-ratelimit-* headers, admitted or refused; refused rows sampled one a second a key.
BOOST_AUTO_TEST_CASE(a_key_past_its_limit_is_refused_with_its_windows_and_a_sampled_row) {
  Rig rig;
  auto first = rig.exchange(Rig::request(kOneAMinute));
  BOOST_REQUIRE(rig.answer(*first));
  BOOST_TEST(first->requests.limit == 1u);
  BOOST_TEST(first->requests.remaining == 0u);
  for (int i = 0; i < 3; ++i) {
    auto again = rig.exchange(Rig::request(kOneAMinute));
    auto refused = rig.answer(*again);
    BOOST_REQUIRE(!refused);
    BOOST_TEST((refused.error().code == errc::rate_limited));
    BOOST_TEST(again->requests.limit == 1u);
    BOOST_TEST(again->requests.remaining == 0u);
  }
  BOOST_TEST(rig.fake.calls() == 1);
  BOOST_REQUIRE(rig.sink.rows.size() == 2u);  // the answer, and one refused row for that second
  BOOST_TEST(rig.sink.rows[1].status == 429);
  BOOST_TEST(rig.sink.rows[1].key == "rpm1");
  BOOST_TEST(rig.sink.rows[1].route == "fast");
  BOOST_TEST(rig.account.refused_total() == 3u);
  BOOST_TEST(rig.account.refused_unrecorded() == 2u);
  rig.wall += 1000;  // the next second: a row again
  BOOST_REQUIRE(!rig.answer(Rig::request(kOneAMinute)));
  BOOST_TEST(rig.sink.rows.size() == 3u);
}

// The ticket is finished exactly once with what the answer cost: the budget counts it once, and refuses the next.
BOOST_AUTO_TEST_CASE(a_budget_is_charged_once_per_answer_and_then_refuses) {
  Rig rig;
  BOOST_REQUIRE(rig.answer(Rig::request(kBudget)));
  BOOST_REQUIRE(rig.sink.rows.size() == 1u);
  const double cost = rig.sink.rows[0].cost;
  BOOST_TEST(cost > 0);  // the prompt's estimate at the route's prices (the fake reports no usage)
  BOOST_TEST(rig.spent("budget") == cost, boost::test_tools::tolerance(1e-12));
  auto refused = rig.answer(Rig::request(kBudget));
  BOOST_REQUIRE(!refused);
  BOOST_TEST((refused.error().code == errc::budget_exceeded));
  BOOST_TEST(rig.fake.calls() == 1);
  BOOST_TEST(rig.spent("budget") == cost, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(rig.sink.rows.at(1).status == 429);
}

// A second identical request is a hit: nothing asked of the provider, a row with cost 0 and what it saved.
BOOST_AUTO_TEST_CASE(a_cached_route_answers_the_second_request_from_the_cache) {
  Rig rig;
  auto miss = rig.answer(Rig::request(kOpen, "cached"));
  BOOST_REQUIRE(miss);
  BOOST_TEST((miss->cache == CacheStatus::miss));
  auto hit = rig.answer(Rig::request(kOpen, "cached"));
  BOOST_REQUIRE(hit);
  BOOST_TEST((hit->cache == CacheStatus::hit));
  BOOST_TEST(hit->body == miss->body);
  BOOST_TEST(rig.fake.calls() == 1);
  BOOST_REQUIRE(rig.sink.rows.size() == 2u);
  BOOST_TEST(rig.sink.rows[0].cache == "miss");
  BOOST_TEST(rig.sink.rows[1].cache == "hit");
  BOOST_TEST(rig.sink.rows[1].cost == 0.0);
  BOOST_TEST(rig.sink.rows[1].saved == rig.sink.rows[0].cost);
  BOOST_TEST(rig.sink.rows[1].provider == "fake");
  // The same request as a stream: its events replayed from the stored answer.
  auto ex = rig.exchange(Rig::request(kOpen, "cached"), Operation::chat, true);
  auto stream = rig.stream(ex);
  BOOST_REQUIRE(stream);
  BOOST_TEST((stream->cache() == CacheStatus::hit));
  BOOST_TEST(rig.fake.calls() == 1);
  BOOST_TEST(rig.sink.rows.size() == 3u);  // accounted when handed out
}

// A stream is accounted when it ends: cut by the provider after its head went out (200, the
// error named), or dropped by a client that left (499); the key's concurrency slot is held until then.
BOOST_AUTO_TEST_CASE(a_stream_is_accounted_once_when_it_ends_however_it_ends) {
  Rig rig;
  test::FakeProvider::Step cut;
  cut.chunks = {test::FakeProvider::content("a"), test::FakeProvider::content("b"), test::FakeProvider::content("c")};
  cut.break_after = 2;
  rig.fake.script(cut);
  auto ex = rig.exchange(Rig::request(kOneAtATime), Operation::chat, true);
  auto stream = rig.stream(ex);
  BOOST_REQUIRE(stream);
  BOOST_TEST(rig.sink.rows.empty());  // not before it ends
  // The key's one slot is the stream's while it runs.
  auto busy = rig.answer(Rig::request(kOneAtATime));
  BOOST_REQUIRE(!busy);
  BOOST_TEST((busy.error().code == errc::rate_limited));
  const auto drained = test::run_async(rig.ioc, drain(*stream));
  BOOST_TEST(drained.chunks == 2);
  BOOST_REQUIRE(drained.error);
  BOOST_REQUIRE(rig.sink.rows.size() == 2u);  // the refused one, then the stream's
  const Row& row = rig.sink.rows[1];
  BOOST_TEST(row.status == 200);  // the head said 200; the error says how it ended
  BOOST_TEST(row.error == error::code_name(*drained.error));
  BOOST_TEST(row.stream);
  BOOST_TEST(row.completion == 2);
  stream.value() = ChatStream(nullptr, "", "");  // (dropped after its end: no second row)
  BOOST_TEST(rig.sink.rows.size() == 2u);
  // The slot came back with the end: a client that then leaves mid-stream is a 499.
  auto second = rig.exchange(Rig::request(kOneAtATime), Operation::chat, true);
  auto opened = rig.stream(second);
  BOOST_REQUIRE(opened);
  opened = make_error(errc::internal, "dropped");  // the client left: the stream is destroyed unfinished
  BOOST_REQUIRE(rig.sink.rows.size() == 3u);
  BOOST_TEST(rig.sink.rows[2].status == 499);
  BOOST_TEST(rig.sink.rows[2].error == "client_closed_request");
  BOOST_REQUIRE(rig.answer(Rig::request(kOneAtATime)));  // and the slot is free again
}

// A client that leaves while the provider answers: the attempt is cancelled, the row says 499.
BOOST_AUTO_TEST_CASE(a_client_that_leaves_mid_answer_is_a_499_row) {
  Rig rig;
  test::FakeProvider::Step slow;
  slow.delay = seconds(30);
  rig.fake.script(slow);
  auto ex = rig.exchange(Rig::request(kOpen));
  asio::cancellation_signal leave;
  std::optional<result<ChatResponse>> got;
  auto call = [&]() -> asio::awaitable<void> { got.emplace(co_await rig.pipe.answer(*ex)); };
  asio::co_spawn(rig.ioc, call(), asio::bind_cancellation_slot(leave.slot(), [](std::exception_ptr) {}));
  while (rig.fake.calls() == 0) rig.ioc.run_one();  // the provider has the request
  leave.emit(asio::cancellation_type::terminal);
  while (!got) rig.ioc.run_one();
  BOOST_REQUIRE(!*got);
  BOOST_TEST(rig.fake.cancelled() == 1);
  BOOST_REQUIRE(rig.sink.rows.size() == 1u);
  BOOST_TEST(rig.sink.rows[0].status == 499);
}

// count_tokens is a request against the key's limits with a row of its own (no tokens, no cost).
BOOST_AUTO_TEST_CASE(count_tokens_takes_from_the_key_and_leaves_a_row) {
  Rig rig;
  for (int i = 0; i < 2; ++i) {
    ChatRequest r{json::object()};
    r.api_key = std::string("Bearer ") + kOneAMinute;
    auto native = std::make_shared<NativeRequest>();
    native->body = json::object{{"model", "fast"}, {"max_tokens", 5}, {"messages", json::array{json::object{{"role", "user"}, {"content", "twelve chars"}}}}};
    r.native = native;
    Exchange ex(std::move(r), Operation::count_tokens, false, rig.steady);
    auto counted = test::run_async(rig.ioc, rig.pipe.count_tokens(ex));
    if (i == 0) {
      BOOST_REQUIRE(counted);
      BOOST_TEST(json::parse(*counted).at("input_tokens").as_int64() > 0);  // estimated: no anthropic target
    } else {
      BOOST_REQUIRE(!counted);
      BOOST_TEST((counted.error().code == errc::rate_limited));
    }
  }
  BOOST_TEST(rig.fake.calls() == 0);
  BOOST_REQUIRE(rig.sink.rows.size() == 2u);
  BOOST_TEST(rig.sink.rows[0].status == 200);
  BOOST_TEST(rig.sink.rows[0].route == "fast");
  BOOST_TEST(rig.sink.rows[0].cost == 0.0);
  BOOST_TEST(rig.sink.rows[1].status == 429);
}

BOOST_AUTO_TEST_SUITE_END()
