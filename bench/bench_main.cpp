// switchyard-bench: load generator for any OpenAI-compatible endpoint. See
// load_generator.hpp for what it measures; scripts/bench.sh runs the scenarios.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include <unistd.h>

#include "load_generator.hpp"
#include "process_stats.hpp"

using namespace switchyard::bench;
namespace asio = boost::asio;

namespace {

void usage() {
  std::cout <<
      "usage: switchyard-bench --url URL [options]\n"
      "  --url URL              e.g. http://127.0.0.1:8080/v1/chat/completions\n"
      "  --key KEY              sent as Authorization: Bearer KEY\n"
      "  --model NAME           model to ask for (default fast)\n"
      "  --extra JSON           extra body fields, e.g. '\"mock\":{\"tokens\":64}'\n"
      "  --stream               streamed requests (records time to first chunk and chunk gaps)\n"
      "  --unique               every request different (a \"user\" field per request): all misses to a cache\n"
      "  --connections N        keep-alive connections (default 1)\n"
      "  --rate R               open loop at R requests/s (default: closed loop)\n"
      "  --warmup-ms N          not measured (default 1000)\n"
      "  --duration-ms N        measured (default 5000)\n"
      "  --requests-per-connection N   each connection sends N requests, then stops\n"
      "  --stall-ms N           chunk gaps over N ms count as stalls\n"
      "  --connect-spread-ms N  spread connection starts over N ms\n"
      "  --pid PID[,PID...]     report these processes' CPU per request and RSS, added up (the gateway; nginx's workers)\n"
      "  --label TEXT           name of this run in the output\n"
      "  --json FILE            append the result as one JSON line to FILE\n";
}

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

boost::json::object histogram_json(const switchyard::observability::LatencyHistogram& h) {
  return {{"count", h.count()},          {"p50_us", us(h.quantile(0.5))},   {"p90_us", us(h.quantile(0.9))},
          {"p99_us", us(h.quantile(0.99))}, {"p999_us", us(h.quantile(0.999))}, {"max_us", us(h.max())},
          {"mean_us", h.mean() / 1000.0}};
}

}  // namespace

int main(int argc, char** argv) {
  LoadOptions o;
  std::string url, json_file, label = "run";
  std::vector<int> pids;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "switchyard-bench: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") { usage(); return 0; }
    else if (a == "--url") url = next();
    else if (a == "--key") o.key = next();
    else if (a == "--model") o.model = next();
    else if (a == "--extra") o.extra_json = next();
    else if (a == "--stream") o.stream = true;
    else if (a == "--unique") o.unique = true;
    else if (a == "--connections") o.connections = std::stoul(next());
    else if (a == "--rate") o.rate = std::stod(next());
    else if (a == "--warmup-ms") o.warmup = std::chrono::milliseconds(std::stol(next()));
    else if (a == "--duration-ms") o.duration = std::chrono::milliseconds(std::stol(next()));
    else if (a == "--requests-per-connection") o.requests_per_connection = std::stoul(next());
    else if (a == "--stall-ms") o.stall_gap = std::chrono::milliseconds(std::stol(next()));
    else if (a == "--connect-spread-ms") o.connect_spread = std::chrono::milliseconds(std::stol(next()));
    else if (a == "--pid") {
      std::string list = next();
      for (std::size_t at = 0; at <= list.size();) {
        const auto comma = std::min(list.find(',', at), list.size());
        if (comma > at) pids.push_back(std::stoi(list.substr(at, comma - at)));
        at = comma + 1;
      }
    }
    else if (a == "--label") label = next();
    else if (a == "--json") json_file = next();
    else { std::cerr << "switchyard-bench: unknown option " << a << "\n"; usage(); return 2; }
  }
  auto u = boost::urls::parse_uri(url);
  if (url.empty() || !u || u->scheme() != "http") {
    std::cerr << "switchyard-bench: --url must be an http:// URL\n";
    return 2;
  }
  o.host = std::string(u->host_address());
  o.port = static_cast<std::uint16_t>(u->has_port() ? std::stoi(std::string(u->port())) : 80);
  o.path = std::string(u->encoded_path());
  if (o.path.empty()) o.path = "/v1/chat/completions";

  asio::io_context ioc(1);
  LoadReport report;
  std::optional<ProcessSample> cpu_start, end_sample;
  std::uint64_t rss_peak = 0, rss_start = 0;
  bool done = false;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    report = co_await run_load(o);
    done = true;
  }, asio::detached);
  // Every listed process's CPU and RSS, added up; and this load generator's own CPU (its share of the machine).
  auto sample = [&pids]() -> std::optional<ProcessSample> {
    ProcessSample sum;
    for (int p : pids) {
      auto s = sample_process(p);
      if (!s) return std::nullopt;
      sum.cpu_seconds += s->cpu_seconds;
      sum.rss_bytes += s->rss_bytes;
    }
    return sum;
  };
  std::optional<ProcessSample> self_start, self_end;
  if (!pids.empty()) {
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
      asio::steady_timer t(ioc);
      if (auto s = sample()) rss_start = s->rss_bytes;
      if (o.requests_per_connection == 0) {
        t.expires_after(o.warmup);
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      cpu_start = sample();
      self_start = sample_process(static_cast<int>(getpid()));
      while (!done) {
        if (auto s = sample()) rss_peak = std::max(rss_peak, s->rss_bytes);
        t.expires_after(std::chrono::milliseconds(100));
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      end_sample = sample();
      self_end = sample_process(static_cast<int>(getpid()));
    }, asio::detached);
  }
  ioc.run();

  boost::json::object out{{"label", label},
                          {"url", url},
                          {"stream", o.stream},
                          {"connections", o.connections},
                          {"rate", o.rate},
                          {"ok", report.ok},
                          {"failed", report.failed},
                          {"seconds", report.seconds},
                          {"throughput_rps", report.throughput()},
                          {"latency", histogram_json(report.latency)}};
  if (o.stream) {
    out["ttfb"] = histogram_json(report.ttfb);
    out["gap"] = histogram_json(report.gap);
    out["stalls"] = report.stalls;
    out["incomplete_streams"] = report.incomplete_streams;
  }
  if (report.overhead_samples > 0) out["gateway_overhead_header"] = histogram_json(report.overhead);
  double cpu_us_per_req = 0;
  if (cpu_start && end_sample && report.ok > 0) {
    cpu_us_per_req = (end_sample->cpu_seconds - cpu_start->cpu_seconds) * 1e6 / static_cast<double>(report.ok);
    out["target_cpu_us_per_request"] = cpu_us_per_req;
    out["target_rss_start_bytes"] = rss_start;
    out["target_rss_peak_bytes"] = rss_peak;
    out["target_rss_end_bytes"] = end_sample->rss_bytes;
    if (self_start && self_end) {
      out["load_generator_cpu_us_per_request"] = (self_end->cpu_seconds - self_start->cpu_seconds) * 1e6 / static_cast<double>(report.ok);
    }
  }

  std::printf("%-28s ok=%-8llu failed=%-5llu %9.0f req/s  p50=%8.1fus p99=%8.1fus p99.9=%8.1fus max=%9.1fus",
              label.c_str(), static_cast<unsigned long long>(report.ok), static_cast<unsigned long long>(report.failed),
              report.throughput(), us(report.latency.quantile(0.5)), us(report.latency.quantile(0.99)),
              us(report.latency.quantile(0.999)), us(report.latency.max()));
  if (o.stream) {
    std::printf("  ttfb p50=%.1fus p99=%.1fus  gap p50=%.1fus p99=%.1fus stalls=%llu", us(report.ttfb.quantile(0.5)),
                us(report.ttfb.quantile(0.99)), us(report.gap.quantile(0.5)), us(report.gap.quantile(0.99)),
                static_cast<unsigned long long>(report.stalls));
  }
  if (cpu_us_per_req > 0) std::printf("  cpu=%.1fus/req rss_peak=%.1fMB", cpu_us_per_req, static_cast<double>(rss_peak) / 1048576.0);
  std::printf("\n");
  if (!json_file.empty()) {
    std::ofstream f(json_file, std::ios::app);
    f << boost::json::serialize(out) << "\n";
  }
  return report.ok > 0 ? 0 : 1;
}
