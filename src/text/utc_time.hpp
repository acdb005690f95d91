#pragma once
// A UTC time as text: ISO 8601 extended ("2015-08-30T12:36:00Z", budget
// resets) or basic ("20150830T123600Z", AWS's x-amz-date).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace switchyard::text {

inline std::string utc_time_text(std::int64_t unix_seconds, bool basic = false) {
  const std::chrono::sys_seconds t{std::chrono::seconds(unix_seconds)};
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, basic ? "%04d%02u%02uT%02lld%02lld%02lldZ" : "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<long long>(hms.hours().count()),
                static_cast<long long>(hms.minutes().count()), static_cast<long long>(hms.seconds().count()));
  return buf;
}

}  // namespace switchyard::text
