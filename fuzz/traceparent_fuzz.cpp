// A client's traceparent header (every byte an attacker's) → the strict W3C
// parser: no crash; what it accepts is well formed and writes back the same.
#include <string>

#include "fuzz_support.hpp"
#include "telemetry/trace_context.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace switchyard::telemetry;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto tp = parse_traceparent(bytes);
  if (!tp) return 0;
  if (!tp->trace.valid() || tp->parent == 0) __builtin_trap();
  const std::string again = format_traceparent(tp->trace, tp->parent, tp->flags);
  if (bytes.starts_with("00-") && again != bytes) __builtin_trap();  // version 00: exactly what came
  auto back = parse_traceparent(again);
  if (!back || !(back->trace == tp->trace) || back->parent != tp->parent || back->flags != tp->flags) __builtin_trap();
  return 0;
}
