#include "support/gateway_harness.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdlib>

#include <boost/test/unit_test.hpp>

namespace switchyard::test {

namespace {
std::size_t workers_from_env() {
  const char* v = std::getenv("SWITCHYARD_TEST_WORKERS");
  const auto n = v ? std::strtoul(v, nullptr, 10) : 1;
  return n > 1 ? n : 1;
}
}  // namespace

GatewayHarness::GatewayHarness(mock::MockOptions mock_options, std::function<void(Config&)> tweak, std::size_t workers)
    : mock_(ioc_.get_executor(), std::move(mock_options)) {
  mock_port_ = mock_.listen();
  Config config = mock_config(mock_port_);
  if (tweak) tweak(config);
  const auto n = workers > 0 ? workers : workers_from_env();
  std::vector<asio::any_io_executor> executors;
  for (std::size_t i = 0; n > 1 && i < n; ++i) {
    worker_contexts_.push_back(std::make_unique<asio::io_context>(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO));
    worker_guards_.push_back(asio::make_work_guard(*worker_contexts_.back()));
    executors.push_back(worker_contexts_.back()->get_executor());
  }
  gateway_ = std::make_unique<Gateway>(ioc_.get_executor(), executors, std::move(config));
  if (n == 1) servers_.push_back(std::make_unique<server::HttpServer>(ioc_.get_executor(), *gateway_, log_));
  const auto budgets = server::HttpServer::budgets_for(gateway_->config().server);
  for (std::size_t i = 0; n > 1 && i < n; ++i) {
    servers_.push_back(std::make_unique<server::HttpServer>(executors[i], *gateway_, log_, i + 1, n, budgets));
  }
  port_ = servers_[0]->listen();
  for (std::size_t i = 1; i < servers_.size(); ++i) servers_[i]->listen(port_);
  for (auto& s : servers_) {
    std::vector<const server::HttpServer*> peers;
    for (auto& p : servers_) {
      if (p != s) peers.push_back(p.get());
    }
    s->set_peers(std::move(peers));
  }
  asio::co_spawn(ioc_, mock_.run(), asio::detached);
  for (auto& s : servers_) asio::co_spawn(s->executor(), s->run(), asio::detached);
  for (auto& c : worker_contexts_) worker_threads_.emplace_back([c = c.get()] { c->run(); });
}

GatewayHarness::~GatewayHarness() {
  for (auto& s : servers_) asio::post(s->executor(), [s = s.get()] { s->stop(); });
  mock_.stop();
  gateway_->shutdown();
  // Let every coroutine finish before the objects they use go away.
  worker_guards_.clear();
  ioc_.run_for(std::chrono::seconds(5));
  // Each worker's loop ends once its server's connections and its pools closed; the main
  // loop keeps running meanwhile (a worker may wait for something posted there).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto stopped = [&] {
    return std::all_of(worker_contexts_.begin(), worker_contexts_.end(), [](const auto& c) { return c->stopped(); });
  };
  while (!stopped() && std::chrono::steady_clock::now() < deadline) {
    ioc_.restart();
    ioc_.run_for(std::chrono::milliseconds(50));
  }
  BOOST_TEST(stopped(), "every worker's event loop ended within 20 s of the shutdown");
  for (auto& c : worker_contexts_) c->stop();  // (a failure above: what is left is dropped)
  for (auto& t : worker_threads_) t.join();
}

std::size_t GatewayHarness::open_connections() const {
  std::size_t n = 0;
  for (const auto& s : servers_) n += s->open_connections();
  return n;
}

asio::awaitable<bool> GatewayHarness::stop_and_drain(std::chrono::milliseconds grace) {
  bool all = true;
  for (auto& s : servers_) {
    all = co_await asio::co_spawn(s->executor(), [s = s.get(), grace]() -> asio::awaitable<bool> {
      s->stop();
      co_return co_await s->drain(grace);
    }, asio::use_awaitable) && all;
  }
  co_return all;
}

asio::awaitable<bool> GatewayHarness::shut_down(std::chrono::milliseconds grace) {
  bool all = true;
  for (auto& s : servers_) all = co_await asio::co_spawn(s->executor(), s->shut_down(grace), asio::use_awaitable) && all;
  co_return all;
}

HttpResult GatewayHarness::run(asio::awaitable<HttpResult> work, std::chrono::milliseconds limit) {
  return run_async<HttpResult>(ioc_, std::move(work), limit);
}

}  // namespace switchyard::test
