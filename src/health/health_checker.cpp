#include "health/health_checker.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace switchyard::health {

namespace asio = boost::asio;

namespace {

asio::awaitable<void> probe_loop(std::size_t index, std::shared_ptr<providers::ProviderClient> client, Millis interval,
                                 HealthChecker::Report report, std::shared_ptr<HealthChecker::State> state) {
  co_await asio::this_coro::throw_if_cancelled(false);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(interval);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    // stop() ends the loop through the same path as everything else: its
    // cancellation signal (the flag covers a probe that finished meanwhile).
    if (ec || state->stopped) co_return;
    auto r = co_await client->probe();
    if (state->stopped) co_return;
    report(index, static_cast<bool>(r));
  }
}

}  // namespace

void HealthChecker::watch(std::size_t provider_index, std::shared_ptr<providers::ProviderClient> client, Millis interval, Report report) {
  if (interval.count() <= 0 || state_->stopped) return;
  auto& signal = signals_.emplace_back(std::make_unique<asio::cancellation_signal>());
  asio::co_spawn(ex_,
                 probe_loop(provider_index, std::move(client), interval, std::move(report), state_),
                 asio::bind_cancellation_slot(signal->slot(), asio::detached));
}

void HealthChecker::stop() noexcept {
  if (state_->stopped) return;
  state_->stopped = true;
  for (auto& s : signals_) s->emit(asio::cancellation_type::terminal);
}

void HealthChecker::restart() {
  stop();
  for (auto& s : signals_) retired_.push_back(std::move(s));
  signals_.clear();
  state_ = std::make_shared<State>();
}

}  // namespace switchyard::health
