// Micro-benchmark: SseParser over a realistic OpenAI stream, fed in network-sized pieces.
#include <benchmark/benchmark.h>

#include <string>

#include "sse/sse_parser.hpp"

namespace {

std::string make_stream(int chunks) {
  std::string s;
  for (int i = 0; i < chunks; ++i) {
    s += R"(data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":"token )";
    s += std::to_string(i);
    s += "\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
  }
  s += "data: [DONE]\n\n";
  return s;
}

void BM_SseParser(benchmark::State& state) {
  const std::string stream = make_stream(64);
  const std::size_t piece = static_cast<std::size_t>(state.range(0));
  std::size_t events = 0;
  for (auto _ : state) {
    switchyard::sse::SseParser parser;
    switchyard::sse::SseEvent ev;
    for (std::size_t pos = 0; pos < stream.size(); pos += piece) {
      parser.feed(std::string_view(stream).substr(pos, piece));
      while (parser.next(ev) == switchyard::sse::SseStatus::event) {
        benchmark::DoNotOptimize(ev.data.data());
        ++events;
      }
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SseParser)->Arg(64)->Arg(1460)->Arg(16384);

}  // namespace

BENCHMARK_MAIN();
