#pragma once
// The retry, failover, Retry-After, budget and hedge decisions of one request,
// without I/O: the router asks it what to do next ("try target X, hedge with Y
// after D", "wait D", "done"), carries that out (timers, races, the upstream
// call), and feeds each outcome back with the time. Pure: the clock, the
// breakers (through TargetGate) and the random draws come in from outside,
// so every decision is tested with a stepped clock (attempt_plan_test.cpp).
//
// Rules:
//   - candidates are tried in the order given; one whose breaker does not
//     allow a try (open, or its half-open probe taken) is skipped;
//   - a failed try is retried on the same target (full-jitter backoff, at
//     least the Retry-After) up to attempts_per_target, unless the error is
//     not retryable (the caller's own: done at once), the breaker opened, the
//     Retry-After is longer than max_retry_after, or the wait would pass the
//     deadline: then the next candidate;
//   - a first try with a hedge delay hedges with the next candidate that is
//     another target; once the hedge ran, the request moves on only when both
//     failed, and past both;
//   - nothing new starts after the deadline.
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "resilience/retry_policy.hpp"

namespace switchyard::resilience {

using PlanClock = std::chrono::steady_clock;

// What the plan asks about a target's breaker.
class TargetGate {
 public:
  // May a try start now? (Takes a half-open probe slot when it says yes.)
  virtual bool allow(std::size_t target, PlanClock::time_point now) = 0;
  // Has the breaker opened?
  virtual bool is_open(std::size_t target, PlanClock::time_point now) const = 0;

 protected:
  ~TargetGate() = default;
};

struct Candidate {
  std::size_t target = 0;    // the caller's index
  std::size_t identity = 0;  // equal for two entries naming the same upstream target
  std::optional<Millis> hedge_after;  // hedge a first try on this target after this long
};

struct PlanStep {
  enum class Kind { attempt, wait, done };
  Kind kind = Kind::done;
  std::size_t target = 0;             // attempt: the candidate's target
  std::optional<std::size_t> hedge;   // attempt: start this target too after hedge_after
  Millis hedge_after{0};
  bool retry = false;                 // attempt: on a target already tried
  bool failover = false;              // attempt: on another target than the last one
  Millis wait{0};                     // wait: then ask again
};

class AttemptPlan {
 public:
  // `random` returns uniform draws in [0, 1) for the backoff jitter.
  AttemptPlan(std::vector<Candidate> order, const RetryConfig& retry, PlanClock::time_point deadline, TargetGate& gate,
              std::function<double()> random);

  PlanStep next(PlanClock::time_point now);
  // The hedge delay of the current attempt passed: true when the hedge may start.
  bool start_hedge(PlanClock::time_point now);
  // The current attempt failed (both arms, when a hedge ran) with `e`.
  void failed(PlanClock::time_point now, Error e);
  // The current attempt succeeded: next() says done, with no error.
  void succeeded() noexcept;

  // After `done`: the error to give the client (the last failure), or none
  // when the request succeeded or no candidate could be tried.
  std::optional<Error>& error() noexcept { return last_; }
  bool hedge_started() const noexcept { return hedge_started_; }

 private:
  enum class State { pick, attempting, must_wait, waited, done };
  PlanStep attempt(bool retry, bool failover);
  void move_on(PlanClock::time_point now);

  std::vector<Candidate> order_;
  RetryConfig retry_;
  PlanClock::time_point deadline_;
  TargetGate& gate_;
  std::function<double()> random_;
  State state_ = State::pick;
  std::size_t pos_ = 0;      // current candidate
  int tries_ = 0;            // tries on the current candidate
  bool tried_one_ = false;
  std::optional<std::size_t> hedge_pos_;
  bool hedge_started_ = false;
  Millis wait_{0};
  std::vector<std::size_t> hedged_out_;  // identities tried as a hedge that failed
  std::optional<Error> last_;
};

}  // namespace switchyard::resilience
