#include "resilience/attempt_plan.hpp"

#include <algorithm>

namespace switchyard::resilience {

AttemptPlan::AttemptPlan(std::vector<Candidate> order, const RetryConfig& retry, PlanClock::time_point deadline,
                         TargetGate& gate, std::function<double()> random)
    : order_(std::move(order)), retry_(retry), deadline_(deadline), gate_(gate), random_(std::move(random)) {}

PlanStep AttemptPlan::attempt(bool retry, bool failover) {
  PlanStep s;
  s.kind = PlanStep::Kind::attempt;
  s.target = order_[pos_].target;
  s.retry = retry;
  s.failover = failover;
  hedge_pos_.reset();
  hedge_started_ = false;
  if (tries_ == 0 && order_[pos_].hedge_after) {
    // The next candidate that is another target.
    for (std::size_t i = pos_ + 1; i < order_.size(); ++i) {
      if (order_[i].identity != order_[pos_].identity) {
        hedge_pos_ = i;
        s.hedge = order_[i].target;
        s.hedge_after = *order_[pos_].hedge_after;
        break;
      }
    }
  }
  state_ = State::attempting;
  return s;
}

PlanStep AttemptPlan::next(PlanClock::time_point now) {
  if (state_ == State::must_wait) {
    if (wait_.count() > 0) {
      state_ = State::waited;
      PlanStep s;
      s.kind = PlanStep::Kind::wait;
      s.wait = wait_;
      return s;
    }
    state_ = State::waited;
  }
  if (state_ == State::waited) {
    if (gate_.allow(order_[pos_].target, now)) return attempt(true, false);
    move_on(now);
  }
  while (state_ == State::pick && pos_ < order_.size()) {
    const auto& c = order_[pos_];
    const bool out = std::find(hedged_out_.begin(), hedged_out_.end(), c.identity) != hedged_out_.end();
    if (!out && gate_.allow(c.target, now)) {
      const bool failover = tried_one_;
      tried_one_ = true;
      tries_ = 0;
      return attempt(false, failover);
    }
    ++pos_;
  }
  state_ = State::done;
  return PlanStep{};
}

bool AttemptPlan::start_hedge(PlanClock::time_point now) {
  if (!hedge_pos_ || hedge_started_) return false;
  hedge_started_ = gate_.allow(order_[*hedge_pos_].target, now);
  return hedge_started_;
}

void AttemptPlan::succeeded() noexcept {
  last_.reset();
  state_ = State::done;
}

void AttemptPlan::move_on(PlanClock::time_point now) {
  ++pos_;
  state_ = now >= deadline_ ? State::done : State::pick;
}

void AttemptPlan::failed(PlanClock::time_point now, Error e) {
  const auto retry_after = parse_retry_after(e.retry_after);
  const bool terminal = e.code == errc::cancelled || !is_retryable(e);
  last_ = std::move(e);
  if (terminal) {  // the client left, or the caller's own error: no other target fixes it
    state_ = State::done;
    return;
  }
  if (hedge_started_) {  // this target and the hedge both failed: on past both
    hedged_out_.push_back(order_[*hedge_pos_].identity);
    move_on(now);
    return;
  }
  const int tried = ++tries_;
  if (tried >= retry_.attempts_per_target || gate_.is_open(order_[pos_].target, now)) {
    move_on(now);
    return;
  }
  auto wait = backoff(retry_, tried - 1, random_());
  if (retry_after) {
    if (*retry_after > retry_.max_retry_after) {  // too long: another target answers sooner
      move_on(now);
      return;
    }
    wait = std::max(wait, *retry_after);
  }
  if (now + wait >= deadline_) {
    move_on(now);
    return;
  }
  wait_ = wait;
  state_ = State::must_wait;
}

}  // namespace switchyard::resilience
