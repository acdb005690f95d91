// Micro-benchmark: routing decisions (route name, provider/model, unknown model).
#include <benchmark/benchmark.h>

#include "routing/route_resolver.hpp"

namespace {

switchyard::Config make_config() {
  switchyard::Config c;
  for (int i = 0; i < 8; ++i) {
    switchyard::ProviderConfig p;
    p.name = "p" + std::to_string(i);
    p.base_url = "https://example.invalid/v1";
    c.providers.push_back(p);
  }
  for (int i = 0; i < 32; ++i) {
    c.models.push_back({"route-" + std::to_string(i), switchyard::Strategy::failover, {{"p1", "m1"}, {"p2", "m2"}, {"p3", "m3"}}});
  }
  return c;
}

void BM_Resolve(benchmark::State& state, const char* model) {
  const auto config = make_config();
  switchyard::routing::RouteResolver resolver(config);
  for (auto _ : state) {
    auto plan = resolver.resolve(model);
    benchmark::DoNotOptimize(plan);
  }
}
BENCHMARK_CAPTURE(BM_Resolve, route_name, "route-17");
BENCHMARK_CAPTURE(BM_Resolve, provider_slash_model, "p5/some-model-name");
BENCHMARK_CAPTURE(BM_Resolve, unknown_model, "no-such-model");

}  // namespace

BENCHMARK_MAIN();
