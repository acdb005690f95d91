#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

#include "resilience/attempt_plan.hpp"

// Table-driven: each row scripts what the providers answer and when, and
// reads back the plan's decisions as a trace, on a stepped clock (no I/O, no sleeps).

using namespace switchyard;
using namespace switchyard::resilience;
using std::chrono::milliseconds;

namespace {

// Breakers as the test sets them: a target is open from a given time on.
class ScriptedGate final : public TargetGate {
 public:
  std::map<std::size_t, PlanClock::time_point> opens_at;
  std::map<std::size_t, int> refused_allows;  // the next N allow() calls say no (half-open probe taken)
  bool allow(std::size_t t, PlanClock::time_point now) override {
    if (auto it = refused_allows.find(t); it != refused_allows.end() && it->second > 0) {
      --it->second;
      return false;
    }
    return !is_open(t, now);
  }
  bool is_open(std::size_t t, PlanClock::time_point now) const override {
    auto it = opens_at.find(t);
    return it != opens_at.end() && now >= it->second;
  }
};

Error status(int code, std::string retry_after = {}) {
  Error e = make_error(errc::upstream_status, "HTTP " + std::to_string(code));
  e.upstream_status = code;
  e.retry_after = std::move(retry_after);
  return e;
}

// What one attempt's upstream call does: takes `took`, then answers or fails.
// With a hedge: `hedge_at` says whether the hedge delay passed before the answer.
struct Answer {
  int took_ms = 10;
  std::optional<Error> error;  // nullopt: success
  bool hedge_fires = false;    // the attempt outlived its hedge delay (the hedge is asked to start)
};

struct Row {
  std::string name;
  std::vector<Candidate> order;
  std::vector<Answer> answers;  // one per attempt, in order
  std::string expected;
  int budget_ms = 15'000;
  std::map<std::size_t, int> opens_at_ms;  // target -> breaker opens at this time
  std::map<std::size_t, int> refused_allows;
  int attempts_per_target = 2;
};

std::string name_of(std::size_t t) { return std::string(1, static_cast<char>('a' + t)); }

std::string run(const Row& row) {
  const PlanClock::time_point t0{};
  auto now = t0;
  ScriptedGate gate;
  for (auto [t, ms] : row.opens_at_ms) gate.opens_at[t] = t0 + milliseconds(ms);
  gate.refused_allows = row.refused_allows;
  RetryConfig retry;
  retry.attempts_per_target = row.attempts_per_target;
  retry.base_backoff = milliseconds(100);
  retry.max_backoff = milliseconds(2000);
  retry.budget = milliseconds(row.budget_ms);
  retry.max_retry_after = milliseconds(10'000);
  AttemptPlan plan(row.order, retry, t0 + retry.budget, gate, [] { return 0.5; });
  std::string trace;
  std::size_t answer = 0;
  bool succeeded = false;
  for (int guard = 0; guard < 50; ++guard) {
    const auto step = plan.next(now);
    const auto at = std::to_string(std::chrono::duration_cast<milliseconds>(now - t0).count());
    if (step.kind == PlanStep::Kind::done) {
      trace += "done ";
      trace += succeeded ? "ok" : !plan.error() ? "nothing tried" : plan.error()->code == errc::upstream_status ? std::to_string(plan.error()->upstream_status)
                                                                                 : std::string(to_string(plan.error()->code));
      return trace;
    }
    if (step.kind == PlanStep::Kind::wait) {
      trace += "wait " + std::to_string(step.wait.count()) + "; ";
      now += step.wait;
      continue;
    }
    trace += "try " + name_of(step.target) + "@" + at;
    if (step.retry) trace += " retry";
    if (step.failover) trace += " failover";
    if (step.hedge) trace += " hedge " + name_of(*step.hedge) + "+" + std::to_string(step.hedge_after.count());
    trace += "; ";
    if (answer >= row.answers.size()) return trace + "(no answer scripted)";
    const Answer& a = row.answers[answer++];
    if (a.hedge_fires) {
      const bool started = plan.start_hedge(now + step.hedge_after);
      trace += started ? "hedged; " : "hedge refused; ";
    }
    now += milliseconds(a.took_ms);
    if (a.error) plan.failed(now, *a.error);
    else {
      plan.succeeded();
      succeeded = true;
    }
  }
  return trace + "(no end)";
}

std::vector<Candidate> targets(std::size_t n, std::optional<Millis> hedge = std::nullopt) {
  std::vector<Candidate> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(Candidate{i, i, hedge});
  return out;
}

const std::vector<Row> rows = {
    {"first try answers", targets(2), {{10}}, "try a@0; done ok"},
    {"a retryable failure is retried on the same target after a jittered backoff",
     targets(2), {{10, status(503)}, {10}}, "try a@0; wait 50; try a@60 retry; done ok"},
    {"a Retry-After shorter than the cap is waited for",
     targets(2), {{10, status(429, "2")}, {10}}, "try a@0; wait 2000; try a@2010 retry; done ok"},
    {"a Retry-After longer than the cap fails over at once",
     targets(2), {{10, status(429, "30")}, {10}}, "try a@0; try b@10 failover; done ok"},
    {"the caller's own error ends the request: no other target fixes it",
     targets(2), {{10, status(400)}}, "try a@0; done 400"},
    {"the client leaving ends the request",
     targets(2), {{10, make_error(errc::cancelled, "gone")}}, "try a@0; done cancelled"},
    {"attempts per target, then the next target, then the last error",
     targets(2), {{10, status(503)}, {10, status(502)}, {10, status(500)}, {10, status(504)}},
     "try a@0; wait 50; try a@60 retry; try b@70 failover; wait 50; try b@130 retry; done 504"},
    {"a retry whose wait would pass the budget goes to the next target instead",
     targets(2), {{900, status(503, "0.5")}, {10}}, "try a@0; try b@900 failover; done ok", 1000},
    {"budget exhausted: nothing new starts after the deadline",
     targets(3), {{900, status(503, "0.5")}, {200, status(503)}}, "try a@0; try b@900 failover; done 503", 1000},
    {"a breaker that opens mid-request stops the retries on its target",
     targets(2), {{10, status(503)}, {10}}, "try a@0; try b@10 failover; done ok", 15'000, {{0, 5}}},
    {"a target whose breaker is open is skipped", targets(2), {{10}}, "try b@0; done ok", 15'000, {{0, 0}}},
    {"a breaker that opens during the backoff skips the retry",
     targets(2), {{10, status(503)}, {10}}, "try a@0; wait 50; try b@60 failover; done ok", 15'000, {{0, 30}}},
    {"every breaker open: done with no error to report", targets(2), {}, "done nothing tried", 15'000, {{0, 0}, {1, 0}}},
    {"hedge win: the hedge answers first", targets(3, Millis(100)), {{200, std::nullopt, true}},
     "try a@0 hedge b+100; hedged; done ok"},
    {"hedge loss: the first try answers first", targets(2, Millis(100)), {{150, std::nullopt, true}},
     "try a@0 hedge b+100; hedged; done ok"},
    {"both the first try and the hedge fail: on past both, to the third target",
     targets(3, Millis(100)), {{200, status(503), true}, {10}}, "try a@0 hedge b+100; hedged; try c@200 failover; done ok"},
    {"both fail and no target is left: the failure stands", targets(2, Millis(100)), {{200, status(503), true}},
     "try a@0 hedge b+100; hedged; done 503"},
    {"a hedge its breaker refuses never starts; the first try is retried as usual",
     targets(2, Millis(100)), {{200, status(503), true}, {10}}, "try a@0 hedge b+100; hedge refused; wait 50; try a@250 retry; done ok",
     15'000, {}, {{1, 1}}},
    {"the hedge is another target, not a second entry for the same one",
     {Candidate{0, 7, Millis(100)}, Candidate{1, 7, Millis(100)}, Candidate{2, 9, std::nullopt}}, {{10}},
     "try a@0 hedge c+100; done ok"},
    {"only first tries hedge", targets(2, Millis(100)), {{10, status(503)}, {10}},
     "try a@0 hedge b+100; wait 50; try a@60 retry; done ok"},
    {"one attempt per target: failover without retry", targets(2), {{10, status(503)}, {10}},
     "try a@0; try b@10 failover; done ok", 15'000, {}, {}, 1},
};

}  // namespace

BOOST_AUTO_TEST_CASE(decisions_follow_the_table) {
  for (const auto& row : rows) {
    BOOST_TEST_CONTEXT(row.name) { BOOST_TEST(run(row) == row.expected); }
  }
}
