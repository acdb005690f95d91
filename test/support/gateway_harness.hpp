#pragma once
// Runs the real gateway (Gateway + HttpServer) and a real mock provider on
// loopback ports, in-process on one io_context; with SWITCHYARD_TEST_WORKERS=N
// (N > 1) the HTTP front-end runs on N worker reactors, each an io_context on
// a thread of its own with its own listener on the port, as the daemon does
// with [server] workers = N (the test's coroutines, the mock and the main
// reactor stay on the test's io_context).
#include <switchyard/config.hpp>
#include <switchyard/gateway.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <cstdio>
#include <functional>
#include <vector>
#include <memory>
#include <mutex>
#include <thread>

#include "mock/mock_provider.hpp"
#include "observability/logger.hpp"
#include "server/http_server.hpp"
#include "support/async.hpp"
#include "support/http_client.hpp"

namespace switchyard::test {

inline constexpr const char* kClientKey = "sy-test-client-key-0001";
inline constexpr const char* kProviderKey = "provider-secret-key-xyz";

inline Headers auth_headers(std::string key = kClientKey) { return {{"authorization", "Bearer " + key}}; }

inline std::string chat_body(std::string model = "fast", bool stream = false, std::string extra = "") {
  return R"({"model":")" + model + R"(","messages":[{"role":"user","content":"hello there"}])" +
         (stream ? R"(,"stream":true)" : "") + extra + "}";
}

// The data payloads of an SSE body, in order.
inline std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  for (auto pos = body.find("data: "); pos != std::string::npos; pos = body.find("data: ", pos + 1)) {
    const auto end = body.find("\n\n", pos);
    out.push_back(body.substr(pos + 6, end - pos - 6));
  }
  return out;
}

// What an OpenAI SSE answer said, put together from its chunks.
struct StreamedAnswer {
  std::string text, tool_name, tool_args, finish;
  std::int64_t completion_tokens = -1;  // from the usage chunk, -1 without one
  bool done = false;                    // ended with data: [DONE]
};

inline StreamedAnswer read_streamed_answer(const std::string& body) {
  StreamedAnswer a;
  for (const auto& data : sse_data(body)) {
    if (data == "[DONE]") {
      a.done = true;
      continue;
    }
    const auto c = boost::json::parse(data).as_object();
    if (c.at("choices").as_array().empty()) {
      a.completion_tokens = c.at("usage").at("completion_tokens").as_int64();
      continue;
    }
    const auto& choice = c.at("choices").as_array()[0].as_object();
    const auto& delta = choice.at("delta").as_object();
    if (const auto* t = delta.if_contains("content"); t && t->is_string()) a.text += std::string_view(t->as_string());
    if (const auto* calls = delta.if_contains("tool_calls")) {
      const auto& fn = calls->as_array()[0].at("function").as_object();
      if (const auto* n = fn.if_contains("name")) a.tool_name = std::string(n->as_string());
      a.tool_args += std::string_view(fn.at("arguments").as_string());
    }
    if (choice.at("finish_reason").is_string()) a.finish = std::string(choice.at("finish_reason").as_string());
  }
  return a;
}

// The value of one Prometheus series (`name{labels}`) in metrics text; -1 when absent.
inline double metric(const std::string& text, const std::string& series) {
  // At the start of a line: not the series' name in its # HELP line.
  const auto at = ("\n" + text).find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 1));
}

// A config with one provider ("mock") at `mock_port`, a route "fast" → mock/mock-fast,
// and one client key allowed everything.
inline Config mock_config(std::uint16_t mock_port) {
  Config c;
  c.server.host = "127.0.0.1";
  c.server.port = 0;
  c.server.access_log = false;
  ProviderConfig p;
  p.name = "mock";
  p.base_url = "http://127.0.0.1:" + std::to_string(mock_port) + "/v1";
  p.api_key = kProviderKey;
  c.providers.push_back(p);
  c.models.push_back(ModelRouteConfig{"fast", Strategy::failover, {TargetConfig{"mock", "mock-fast"}}});
  c.keys.push_back(KeyConfig{"test", kClientKey, {}});
  return c;
}

// Replaces the config's providers with one per name, all on the mock (whose
// URL the config already holds), each keyed "Bearer <key_prefix><name>" so the
// mock can tell them apart; retries are made fast for tests.
inline void mock_fleet(Config& c, std::initializer_list<const char*> names, const std::string& key_prefix,
                       Millis response_timeout) {
  const auto base = c.providers.at(0).base_url;
  c.providers.clear();
  for (const char* n : names) {
    ProviderConfig p;
    p.name = n;
    p.base_url = base;
    p.api_key = key_prefix + n;
    p.response_timeout = response_timeout;
    p.read_timeout = response_timeout;
    c.providers.push_back(p);
  }
  c.resilience.attempts_per_target = 2;
  c.resilience.base_backoff = Millis(1);
  c.resilience.max_backoff = Millis(5);
}

class GatewayHarness {
 public:
  // (Constructor, destructor and the HTTP runner are compiled once, in test/support/gateway_harness.cpp.)
  // `workers`: worker reactors for the HTTP front-end (0: SWITCHYARD_TEST_WORKERS, else one).
  explicit GatewayHarness(mock::MockOptions mock_options = {}, std::function<void(Config&)> tweak = {}, std::size_t workers = 0);
  ~GatewayHarness();

  template <class T>
  T run(asio::awaitable<T> work, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    return run_async<T>(ioc_, std::move(work), limit);
  }
  HttpResult run(asio::awaitable<HttpResult> work, std::chrono::milliseconds limit = std::chrono::seconds(20));
  void run(asio::awaitable<void> work, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    run_async(ioc_, std::move(work), limit);
  }

  asio::io_context& ioc() { return ioc_; }
  std::uint16_t port() const { return port_; }
  mock::MockProvider& mock() { return mock_; }
  Gateway& gateway() { return *gateway_; }
  std::size_t workers() const { return servers_.size(); }
  // Every server's open connections (any thread).
  std::size_t open_connections() const;
  // Every server stops accepting and drains (each on its own reactor); true when all closed.
  asio::awaitable<bool> stop_and_drain(std::chrono::milliseconds grace);
  asio::awaitable<bool> shut_down(std::chrono::milliseconds grace);
  // What was logged so far (a copy: workers may be logging).
  std::string log_text() {
    std::lock_guard lock(log_mu_);
    return log_text_;
  }

 private:
  asio::io_context ioc_{1};
  std::string log_text_;
  // Warnings show in a failing test's output, and are kept for tests that check what was logged.
  // (Info lines are only the access log, which mock_config() turns off.)
  std::mutex log_mu_;  // workers log from their threads
  observability::Logger log_{observability::LogLevel::info, [this](std::string_view line) {
                               std::lock_guard lock(log_mu_);
                               log_text_.append(line);
                               log_text_ += '\n';
                               std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
                             }};
  mock::MockProvider mock_;
  std::uint16_t mock_port_ = 0;
  std::vector<std::unique_ptr<asio::io_context>> worker_contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> worker_guards_;
  std::vector<std::thread> worker_threads_;
  std::unique_ptr<Gateway> gateway_;
  std::vector<std::unique_ptr<server::HttpServer>> servers_;
  std::uint16_t port_ = 0;
};

}  // namespace switchyard::test
