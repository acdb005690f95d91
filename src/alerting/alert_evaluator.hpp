#pragma once
// The [[alerts]] rules, evaluated from readings the gateway already keeps
// (the targets' counters and histograms, the governor's budgets, the
// quotas, the spend totals): sans-io, with the time passed in. Each rule
// keeps the samples of its window; a ratio, a quantile or a rate is taken
// between the window's oldest sample and now, a level as it is now. A rule
// fires when its value reaches the threshold and resolves when it falls
// below; a firing is announced unless the same alert was announced within
// the cooldown, a resolution always is.
#include <switchyard/config.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace switchyard::alerting {

// What a rule's kind reads at one evaluation.
struct Reading {
  enum class Type { ratio, quantile, level, rate };
  Type type = Type::level;
  double numerator = 0, denominator = 0;  // ratio: cumulative counts (failures, attempts)
  std::vector<double> bounds;             // quantile: bucket upper bounds (seconds) ...
  std::vector<std::uint64_t> buckets;     // ... and their cumulative counts (one more: above the last bound)
  double value = 0;                       // level: the value now; rate: a cumulative total (USD)
};

struct Alert {
  std::string name, kind, selector;  // selector: "provider=openai", "" = everything
  double threshold = 0, value = 0;
  int window_s = 0;
  bool firing = false;
  std::int64_t since_ms = 0;         // when it started firing (or resolved)
  std::int64_t evaluated_ms = 0;
};

struct Transition {
  Alert alert;      // as it is now (alert.firing: a firing, else a resolution)
  bool notify = true;  // false: a repeat firing inside the cooldown
};

std::string_view kind_name(AlertKind k) noexcept;
std::string selector_text(const AlertRule& r);
// The value a reading gives over the window between `oldest` and `now` (elapsed_s between them).
double value_of(AlertKind kind, const Reading& oldest, const Reading& now, double elapsed_s);

class AlertEvaluator {
 public:
  AlertEvaluator(std::vector<AlertRule> rules, int cooldown_s);
  // A reload's rules: a rule with the same name and kind keeps its window and state.
  void set_rules(std::vector<AlertRule> rules, int cooldown_s);
  std::vector<Transition> evaluate(std::int64_t now_ms, const std::function<Reading(const AlertRule&)>& read);
  std::vector<Alert> alerts() const;  // every rule, firing or not
  const std::vector<AlertRule>& rules() const noexcept { return rules_; }

 private:
  struct State {
    std::deque<std::pair<std::int64_t, Reading>> samples;
    Alert alert;
    std::int64_t last_notified_ms = INT64_MIN / 2;
  };
  std::vector<AlertRule> rules_;
  int cooldown_s_;
  std::map<std::string, State> states_;  // by rule name (names are unique)
};

}  // namespace switchyard::alerting
