// Integration: [store] backend = "postgres" against a real PostgreSQL the
// test starts itself (initdb into a temporary directory, a free port). Two
// gateways on one database: keys made, rotated and revoked through one are
// seen by the other within a second (LISTEN/NOTIFY); the ledger's totals
// read by either are every request both served; the database stopped for
// 10 s under load and started again: every request's row arrives, exactly
// once (spooled, then replayed); keys and teams survive a restart.
#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <filesystem>
#include <thread>

#include "governance/wall_clock.hpp"
#include "support/gateway_harness.hpp"
#include "postgres/pg_connection.hpp"
#include "support/free_port.hpp"
#include "support/postgres_server.hpp"
#include "telemetry/sla_scenario.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;

extern char** environ;

namespace {
constexpr const char* kAdmin = "admin-key-0123456789";

PostgresServer& shared_postgres() {
  static PostgresServer server;  // one server for the executable; a database per test
  return server;
}

std::string spool_dir(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("sy-spool-" + std::to_string(::getpid()) + "-" + name)).string();
}

std::function<void(Config&)> on_postgres(std::string url, std::string spool) {
  return [url, spool](Config& c) {
    c.server.admin_key = kAdmin;
    c.store.backend = StoreBackend::postgres;
    c.store.postgres_url = url;
    c.store.spool_dir = spool;
    c.store.poll_interval = Millis(500);
    c.store.connect_timeout = Millis(2000);
  };
}

struct Admin {
  GatewayHarness& h;
  HttpResult call(verb v, const std::string& path, const std::string& body = "") {
    Headers headers{{"authorization", "Bearer " + std::string(kAdmin)}};
    if (!body.empty()) headers.push_back({"content-type", "application/json"});
    return h.run(http_call(h.port(), v, path, body, headers));
  }
  HttpResult chat(const std::string& key) { return h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers(key))); }
  std::string secret_of(const HttpResult& r) { return std::string(boost::json::parse(r.body).at("key").as_string()); }
};

// Every row the shared ledger has for `key` (any replica's), read through `gateway`.
asio::awaitable<std::uint64_t> ledger_rows(Gateway& gateway, std::string key) {
  const auto now = governance::wall_now_ms();
  auto rows = co_await gateway.usage(now - 3'600'000, now + 3'600'000, "key", key);
  std::uint64_t n = 0;
  for (const auto& t : rows ? *rows : std::vector<UsageTotals>{}) n += t.requests;
  co_return n;
}

std::uint64_t ledger_requests(GatewayHarness& h, const std::string& key) { return h.run(ledger_rows(h.gateway(), key), std::chrono::seconds(30)); }
}  // namespace

BOOST_AUTO_TEST_SUITE(shared_store)

// postgres/pg_connection against the real server: a statement's error leaves the connection
// usable, a slow statement ends at its deadline (and the next one connects again),
// notifications arrive, nothing listening fails fast, and no message shows the password.
BOOST_AUTO_TEST_CASE(a_connection_on_the_io_context_keeps_every_wait_bounded) {
  const auto url = shared_postgres().fresh_database();
  asio::io_context io;
  using postgres::PgConnection;
  auto db = std::make_shared<PgConnection>(io.get_executor(), url, Millis(2000), Millis(500));
  auto listener = std::make_shared<PgConnection>(io.get_executor(), url, Millis(2000), Millis(500));
  auto dead = std::make_shared<PgConnection>(io.get_executor(), "postgresql://sy:s3cret-pw@127.0.0.1:" + std::to_string(free_port()) + "/x",
                                             Millis(2000), Millis(500));
  run_async(io, [&]() -> asio::awaitable<void> {
    auto bad = co_await db->query("SELECT * FROM no_such_table");
    BOOST_TEST(!bad);
    BOOST_TEST(bad.error().message.find("no_such_table") != std::string::npos);
    postgres::Params params{"41"};
    auto good = co_await db->query("SELECT $1::int + 1", std::move(params));
    BOOST_REQUIRE(good);
    BOOST_TEST(good->integer(0, 0) == 42);
    BOOST_TEST(db->connects() == 1u);  // the error did not cost the connection
    const auto t0 = std::chrono::steady_clock::now();
    auto slow = co_await db->query("SELECT pg_sleep(5)");
    BOOST_TEST(!slow);
    BOOST_TEST(slow.error().message.find("no answer within 500 ms") != std::string::npos);
    BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2)));
    auto again = co_await db->query("SELECT 1");
    BOOST_TEST(static_cast<bool>(again));
    BOOST_TEST(db->connects() == 2u);
    // LISTEN / NOTIFY: a notification wakes the listener; without one, the wait ends at its time.
    BOOST_REQUIRE(co_await listener->query("LISTEN sy_test"));
    auto none = co_await listener->wait_notification(Millis(100));
    BOOST_TEST((none && !*none));
    BOOST_REQUIRE(co_await db->query("NOTIFY sy_test"));
    auto some = co_await listener->wait_notification(Millis(2000));
    BOOST_TEST((some && *some));
    // Nothing listening: a clear error at once, without the password.
    auto refused = co_await dead->query("SELECT 1");
    BOOST_TEST(!refused);
    BOOST_TEST(refused.error().message.find("s3cret-pw") == std::string::npos);
    BOOST_TEST(refused.error().message.find("cannot connect") != std::string::npos);
  }(), std::chrono::seconds(20));
  db->close();
  listener->close();
}

BOOST_AUTO_TEST_CASE(two_gateways_on_one_database_see_each_others_keys_within_a_second) {
  const auto url = shared_postgres().fresh_database();
  GatewayHarness a({}, on_postgres(url, spool_dir("a1"))), b({}, on_postgres(url, spool_dir("b1")));
  Admin admin_a{a}, admin_b{b};
  // Made on A: usable on A at once, on B within a second.
  const auto made = admin_a.call(verb::post, "/admin/keys", R"({"name":"svc","metadata":{"owner":"search"}})");
  BOOST_REQUIRE_EQUAL(made.status, 201u);
  const auto secret = admin_a.secret_of(made);
  BOOST_TEST(admin_a.chat(secret).status == 200u);
  auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(b.run(eventually([&] { return admin_b.chat(secret).status == 200; }, std::chrono::seconds(3))));
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1)));
  // Rotated on B with a grace period: both secrets work on A; the new one within a second.
  const auto rotated = admin_b.call(verb::post, "/admin/keys/svc/rotate", R"({"grace_s":60})");
  BOOST_REQUIRE_EQUAL(rotated.status, 200u);
  const auto fresh = admin_b.secret_of(rotated);
  t0 = std::chrono::steady_clock::now();
  BOOST_TEST(a.run(eventually([&] { return admin_a.chat(fresh).status == 200; }, std::chrono::seconds(3))));
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1)));
  BOOST_TEST(admin_a.chat(secret).status == 200u);  // the old one, within its grace
  // Revoked on A: refused on A at once, on B within a second (both secrets).
  BOOST_TEST(admin_a.call(verb::delete_, "/admin/keys/svc").status == 200u);
  BOOST_TEST(admin_a.chat(fresh).status == 401u);
  t0 = std::chrono::steady_clock::now();
  BOOST_TEST(b.run(eventually([&] { return admin_b.chat(fresh).status == 401 && admin_b.chat(secret).status == 401; }, std::chrono::seconds(3))));
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1)));
  // Either replica's audit shows every action, with who did it.
  const auto audit = boost::json::parse(admin_b.call(verb::get, "/admin/audit").body);
  std::vector<std::string> actions;
  for (const auto& e : audit.at("entries").as_array()) actions.emplace_back(e.at("action").as_string());
  BOOST_TEST((actions == std::vector<std::string>{"key.revoke", "key.rotate", "key.create"}));
  // The ledger is one: A's and B's requests are all in it, read through either.
  (void)ledger_requests(a, "svc");  // (each harness's reactor runs only in its run(): this ships A's rows)
  const auto on_b = ledger_requests(b, "svc"), on_a = ledger_requests(a, "svc");
  BOOST_TEST(on_a == on_b);
  BOOST_TEST(on_a >= 3u);
  std::filesystem::remove_all(spool_dir("a1"));
  std::filesystem::remove_all(spool_dir("b1"));
}

// A second gateway in a process of its own (the daemon binary) on the same database.
struct DaemonProcess {
  pid_t pid = -1;
  std::uint16_t port = free_port();
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("sy-daemon-" + std::to_string(::getpid()));
  explicit DaemonProcess(const std::string& url) {
    const char* binary = std::getenv("SWITCHYARD_BIN");
    BOOST_REQUIRE_MESSAGE(binary, "SWITCHYARD_BIN names the daemon (set by ctest)");
    std::filesystem::create_directories(dir);
    const auto config = (dir / "switchyard.toml").string();
    std::ofstream(config) << "[server]\nlisten = \"127.0.0.1:" << port << "\"\nadmin_key = \"" << kAdmin << "\"\n[usage]\npath = \"\"\n"
                          << "[store]\nbackend = \"postgres\"\npostgres_url = \"" << url << "\"\nspool_dir = \"" << (dir / "spool").string()
                          << "\"\npoll_ms = 500\n";
    std::vector<std::string> args{binary, "--config", config, "--log-level", "error"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    BOOST_REQUIRE(::posix_spawn(&pid, binary, nullptr, nullptr, argv.data(), environ) == 0);
  }
  ~DaemonProcess() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
    std::filesystem::remove_all(dir);
  }
};

// Asks `path` on `port` with `key` until the answer's status is `status`; how long that took
// (nullopt: not within `limit`). Awaited throughout: no nested run of the io_context.
asio::awaitable<std::optional<std::chrono::milliseconds>> until_status(std::uint16_t port, std::string key, unsigned status,
                                                                       std::chrono::milliseconds limit, std::string path = "/v1/usage") {
  const auto t0 = std::chrono::steady_clock::now();
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (;;) {
    auto headers = auth_headers(key);
    auto r = co_await http_call(port, verb::get, path, "", std::move(headers));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    if (r.status == status) co_return took;
    if (took > limit) co_return std::nullopt;
    pause.expires_after(std::chrono::milliseconds(20));
    co_await pause.async_wait(asio::use_awaitable);
  }
}

BOOST_AUTO_TEST_CASE(keys_made_rotated_and_revoked_in_one_process_hold_in_another_within_a_second) {
  const auto url = shared_postgres().fresh_database();
  GatewayHarness a({}, on_postgres(url, spool_dir("a4")));
  DaemonProcess b(url);
  Admin admin_a{a};
  auto on_b = [&](verb v, const std::string& path, const std::string& body = "") {
    Headers headers{{"authorization", "Bearer " + std::string(kAdmin)}, {"content-type", "application/json"}};
    return a.run(http_call(b.port, v, path, body, headers));
  };
  BOOST_REQUIRE(a.run(until_status(b.port, "", 200, std::chrono::seconds(20), "/health"), std::chrono::seconds(30)));  // the daemon is up
  // Made in process B: usable through A within a second.
  const auto made = on_b(verb::post, "/admin/keys", R"({"name":"cross"})");
  BOOST_REQUIRE_EQUAL(made.status, 201u);
  const auto secret = admin_a.secret_of(made);
  const auto seen = a.run(until_status(a.port(), secret, 200, std::chrono::seconds(3)));
  BOOST_REQUIRE(seen);
  BOOST_TEST(seen->count() < 1000);
  // Rotated through A (60 s of grace): the new secret works in B within a second, the old one still does.
  const auto rotated = admin_a.call(verb::post, "/admin/keys/cross/rotate", R"({"grace_s":60})");
  BOOST_REQUIRE_EQUAL(rotated.status, 200u);
  const auto fresh = admin_a.secret_of(rotated);
  const auto rotated_seen = a.run(until_status(b.port, fresh, 200, std::chrono::seconds(3)));
  BOOST_REQUIRE(rotated_seen);
  BOOST_TEST(rotated_seen->count() < 1000);
  BOOST_TEST(a.run(until_status(b.port, secret, 200, std::chrono::seconds(1))).has_value());
  // Revoked in B: refused through A within a second.
  BOOST_TEST(on_b(verb::delete_, "/admin/keys/cross").status == 200u);
  const auto revoked_seen = a.run(until_status(a.port(), fresh, 401, std::chrono::seconds(3)));
  BOOST_REQUIRE(revoked_seen);
  BOOST_TEST(revoked_seen->count() < 1000);
  BOOST_TEST(a.run(until_status(a.port(), secret, 401, std::chrono::seconds(1))).has_value());
  std::filesystem::remove_all(spool_dir("a4"));
}

BOOST_AUTO_TEST_CASE(ledger_totals_across_replicas_equal_the_requests_made) {
  const auto url = shared_postgres().fresh_database();
  GatewayHarness a({}, on_postgres(url, spool_dir("a2"))), b({}, on_postgres(url, spool_dir("b2")));
  Admin admin_a{a}, admin_b{b};
  for (int i = 0; i < 7; ++i) BOOST_TEST(admin_a.chat(kClientKey).status == 200u);
  for (int i = 0; i < 5; ++i) BOOST_TEST(admin_b.chat(kClientKey).status == 200u);
  // /admin/usage on either replica: 12. (Each harness's reactor runs only inside its run(): a query
  // through each first ships its own rows, as each process's shipper does on its own.)
  (void)ledger_requests(a, "test");
  (void)ledger_requests(b, "test");
  for (auto* admin : {&admin_a, &admin_b}) {
    const auto usage = admin->call(verb::get, "/admin/usage?group=key");
    BOOST_REQUIRE_EQUAL(usage.status, 200u);
    std::uint64_t requests = 0;
    const auto body = boost::json::parse(usage.body);
    for (const auto& row : body.at("rows").as_array()) {
      if (row.at("key").as_string() == "test") requests += row.at("requests").to_number<std::uint64_t>();
    }
    BOOST_TEST(requests == 12u);
  }
  // The dashboard's "today" is every replica's (read from the shared ledger every 2 s).
  BOOST_TEST(a.run(eventually([&] {
    const auto d = a.gateway().dashboard(0);
    return d.contains("today_scope") && d.at("today").at("requests").to_number<std::uint64_t>() == 12u;
  }, std::chrono::seconds(6))));
  std::filesystem::remove_all(spool_dir("a2"));
  std::filesystem::remove_all(spool_dir("b2"));
}

// GET /admin/sla from the shared database (counted there, in buckets): the same figures as from SQLite.
BOOST_AUTO_TEST_CASE(the_sla_report_from_the_shared_database_counts_exactly_the_requests_made) {
  const auto url = shared_postgres().fresh_database();
  GatewayHarness h({}, [&](Config& c) {
    on_postgres(url, spool_dir("sla"))(c);
    sla::two_routes(c);
  });
  sla::run(h);
  std::filesystem::remove_all(spool_dir("sla"));
}

BOOST_AUTO_TEST_CASE(every_row_arrives_exactly_once_through_a_ten_second_outage_under_load) {
  PostgresServer pg;  // its own server: this test stops and starts it
  const auto url = pg.url();
  GatewayHarness h({}, on_postgres(url, spool_dir("a3")));
  Config second = h.gateway().config();
  second.store.spool_dir = spool_dir("b3");
  Gateway b(h.ioc().get_executor(), second);  // a second replica (embedded) on the same database
  std::atomic<int> phase{0};                  // 0 before, 1 database down, 2 back, 3 load stops
  std::atomic<std::uint64_t> made{0}, answered{0};
  std::thread outage([&] {
    auto wait_for = [&](std::uint64_t n) {
      while (made.load() < n) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    };
    wait_for(40);
    pg.stop();
    phase = 1;
    std::fprintf(stderr, "outage: database stopped after %llu requests\n", static_cast<unsigned long long>(made.load()));
    std::this_thread::sleep_for(std::chrono::seconds(10));  // the outage itself
    const auto during = made.load();
    pg.start();
    phase = 2;
    std::fprintf(stderr, "outage: database started again after %llu requests\n", static_cast<unsigned long long>(during));
    wait_for(during + 40);
    phase = 3;
  });
  std::atomic<int> stuck_http{0}, stuck_embedded{0};
  auto client = [&](int i) -> asio::awaitable<void> {
    using namespace asio::experimental::awaitable_operators;
    while (phase.load() < 3) {
      ++made;
      asio::steady_timer limit(h.ioc(), std::chrono::seconds(10));
      if (i % 2 == 0) {
        auto call = http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers());
        auto r = co_await (std::move(call) || limit.async_wait(asio::use_awaitable));
        if (r.index() == 0 && std::get<0>(r).status == 200) ++answered;
        if (r.index() == 1) ++stuck_http;
      } else {
        ChatRequest request{boost::json::parse(chat_body()).as_object()};
        request.api_key = kClientKey;
        auto call = b.chat(std::move(request));
        auto r = co_await (std::move(call) || limit.async_wait(asio::use_awaitable));
        if (r.index() == 0 && std::get<0>(r)) ++answered;
        if (r.index() == 1) ++stuck_embedded;
      }
    }
  };
  h.run([&]() -> asio::awaitable<void> {
    using namespace asio::experimental::awaitable_operators;
    co_await (client(0) && client(1) && client(2) && client(3));
  }(), std::chrono::seconds(60));
  outage.join();
  BOOST_TEST(stuck_http.load() == 0);
  BOOST_TEST(stuck_embedded.load() == 0);
  BOOST_TEST(answered.load() == made.load());  // the database away never failed a request
  // Within 10 s of its return every row is there, once: the count is exact (row ids are unique).
  // (Awaited in one coroutine: a usage query is itself asynchronous.)
  const auto expected = made.load();
  const auto seen = h.run([&]() -> asio::awaitable<std::uint64_t> {
    asio::steady_timer pause(h.ioc());
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    for (;;) {
      const auto n = co_await ledger_rows(h.gateway(), "test");
      if (n == expected || std::chrono::steady_clock::now() >= until) co_return n;
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::use_awaitable);
    }
  }(), std::chrono::seconds(40));
  BOOST_TEST(seen == expected);
  const auto metrics = h.gateway().metrics_text();
  BOOST_TEST(metric(metrics, "switchyard_ledger_spooled_rows_total") > 0);
  BOOST_TEST(metric(metrics, "switchyard_ledger_replayed_rows_total") == metric(metrics, "switchyard_ledger_spooled_rows_total"));
  BOOST_TEST(metric(metrics, "switchyard_ledger_dropped_total") == 0);
  b.shutdown();
  std::filesystem::remove_all(spool_dir("a3"));
  std::filesystem::remove_all(spool_dir("b3"));
}

BOOST_AUTO_TEST_SUITE_END()
