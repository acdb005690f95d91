#pragma once
// Wall-clock time in milliseconds since the epoch (UTC): the time of rate
// windows, budget periods, quota resets and ledger rows. One definition so
// every component counts the same way.
#include <chrono>
#include <cstdint>

namespace switchyard::governance {

inline std::int64_t wall_now_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace switchyard::governance
