#include "support/gateway_harness.hpp"

namespace switchyard::test {

GatewayHarness::GatewayHarness(mock::MockOptions mock_options, std::function<void(Config&)> tweak)
    : mock_(ioc_.get_executor(), std::move(mock_options)) {
  mock_port_ = mock_.listen();
  Config config = mock_config(mock_port_);
  if (tweak) tweak(config);
  gateway_ = std::make_unique<Gateway>(ioc_.get_executor(), std::move(config));
  server_ = std::make_unique<server::HttpServer>(ioc_.get_executor(), *gateway_, log_);
  port_ = server_->listen();
  asio::co_spawn(ioc_, mock_.run(), asio::detached);
  asio::co_spawn(ioc_, server_->run(), asio::detached);
}

GatewayHarness::~GatewayHarness() {
  server_->stop();
  mock_.stop();
  gateway_->shutdown();
  // Let every coroutine finish before the objects they use go away.
  ioc_.run_for(std::chrono::seconds(5));
}

HttpResult GatewayHarness::run(asio::awaitable<HttpResult> work, std::chrono::milliseconds limit) {
  return run_async<HttpResult>(ioc_, std::move(work), limit);
}

}  // namespace switchyard::test
