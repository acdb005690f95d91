#pragma once
// Active health checks: for each provider that asks for them, a loop that
// probes it every interval (providers::ProviderClient::probe, e.g. GET
// /models) and reports the outcome. Runs on the gateway's executor; stop()
// cancels every loop and its probe in flight.
#include <switchyard/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <functional>
#include <memory>
#include <vector>

#include "providers/provider_client.hpp"

namespace switchyard::health {

class HealthChecker {
 public:
  using Report = std::function<void(std::size_t provider_index, bool ok)>;

  explicit HealthChecker(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
  ~HealthChecker() { stop(); }
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Starts a probe loop for `client` (index `provider_index`) every `interval`;
  // the loop holds the client until it ends.
  void watch(std::size_t provider_index, std::shared_ptr<providers::ProviderClient> client, Millis interval, Report report);
  void stop() noexcept;
  // Stops every loop (as stop()) and takes new watch() calls (a reloaded configuration's providers).
  void restart();
  std::size_t loops() const noexcept { return signals_.size(); }

  struct State {
    bool stopped = false;
  };

 private:
  boost::asio::any_io_executor ex_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::vector<std::unique_ptr<boost::asio::cancellation_signal>> signals_;
  // Stopped loops' signals, kept until the checker goes: a loop may still be
  // finishing (its slot refers to its signal). A handful per reload.
  std::vector<std::unique_ptr<boost::asio::cancellation_signal>> retired_;
};

}  // namespace switchyard::health
