#pragma once
// When the ledger's writer deletes rows older than the retention: at once
// (the first time rows are written, so a file kept from before a restart is
// pruned at startup), then once every `every`. Sans-io: the caller passes the
// time. "Never pruned" is its own state, not a time point: steady_clock's
// epoch is the boot, so "now - time_point{} > 1 h" is false during the first
// hour after a reboot.
#include <chrono>
#include <optional>

namespace switchyard::ledger {

class PruneSchedule {
 public:
  using Clock = std::chrono::steady_clock;
  explicit PruneSchedule(Clock::duration every) : every_(every) {}

  bool due(Clock::time_point now) const noexcept { return !last_ || now - *last_ >= every_; }
  void done(Clock::time_point now) noexcept { last_ = now; }

 private:
  Clock::duration every_;
  std::optional<Clock::time_point> last_;
};

}  // namespace switchyard::ledger
