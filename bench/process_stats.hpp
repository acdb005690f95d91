#pragma once
// Reads another process's CPU time and resident memory from /proc, so the
// bench can report the gateway's CPU per request and RSS from the outside.
#include <cstdint>
#include <optional>

namespace switchyard::bench {

struct ProcessSample {
  double cpu_seconds = 0;        // user + system
  std::uint64_t rss_bytes = 0;
};

std::optional<ProcessSample> sample_process(int pid);

}  // namespace switchyard::bench
