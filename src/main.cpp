// switchyard: the gateway daemon. A thin main over Gateway and HttpServer.
#include <switchyard/gateway.hpp>

#include "providers/connector_registry.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sched.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>
#include <vector>
#include <string>
#include <string_view>

#include "observability/log_writer.hpp"
#include "probe/provider_probe.hpp"
#include "observability/logger.hpp"
#include "server/http_server.hpp"
#include "service/service_notifier.hpp"
#include "switchyard_version.hpp"
#include "text/url_redaction.hpp"

namespace {

void usage() {
  std::cout << "usage: switchyard --config FILE [--check] [--log-level debug|info|warn|error]\n"
               "       switchyard --probe [--config FILE] [--json]\n"
               "       switchyard --version\n"
               "  --config FILE   TOML configuration (see conf/switchyard.toml)\n"
               "  --check         validate the configuration and exit (0 = valid)\n"
               "  --probe         check every provider as the gateway will call it (DNS, TCP, TLS, the key and\n"
               "                  each model with one-token requests: chat, stream, tools), one line each; exit 0\n"
               "                  only when all pass (default config: /etc/switchyard/switchyard.toml)\n"
               "  --json          with --probe: the results as JSON\n"
               "  --version       print the version and the git commit it was built from\n"
               "Started by systemd with Type=notify ($NOTIFY_SOCKET set), it reports READY once it listens,\n"
               "RELOADING/READY around a reload (SIGHUP) and STOPPING when it drains (SIGTERM).\n";
}

}  // namespace

struct Options {
  std::string config_path;
  bool check = false;
  bool probe = false, json = false;
  switchyard::observability::LogLevel level = switchyard::observability::LogLevel::info;
};

// The command line; an exit code when the program should end at once (help, a bad option).
std::optional<int> parse_options(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else if (arg == "--version") {
      std::cout << "switchyard " << SWITCHYARD_VERSION << " (commit " << SWITCHYARD_COMMIT << ")\n";
      return 0;
    } else if (arg == "--config" && i + 1 < argc) {
      o.config_path = argv[++i];
    } else if (arg == "--check") {
      o.check = true;
    } else if (arg == "--probe") {
      o.probe = true;
    } else if (arg == "--json") {
      o.json = true;
    } else if (arg == "--log-level" && i + 1 < argc) {
      o.level = switchyard::observability::parse_log_level(argv[++i], o.level);
    } else {
      std::cerr << "switchyard: unknown or incomplete option " << arg << "\n";
      usage();
      return 2;
    }
  }
  if (o.config_path.empty() && o.probe) o.config_path = "/etc/switchyard/switchyard.toml";  // the package's
  if (o.config_path.empty()) {
    std::cerr << "switchyard: --config FILE is required\n";
    usage();
    return 2;
  }
  return std::nullopt;
}

using Reloader = switchyard::server::HttpServer::Reloader;

// Reloading: SIGHUP and POST /admin/reload read the file again; a file --check
// would refuse is refused with the same message, and the running
// configuration keeps serving. Every outcome is logged.
// The service manager hears RELOADING before and READY after, whatever the outcome.
Reloader reloader(const std::string& config_path, switchyard::Gateway& gateway, switchyard::observability::Logger& log,
                  switchyard::service::ServiceNotifier& notifier) {
  auto reload = [&config_path, &gateway, &log]() -> boost::system::result<switchyard::ReloadOutcome, std::string> {
    auto next = switchyard::load_config_file(config_path);
    if (!next) {
      gateway.count_failed_reload();
      log.error("config reload refused: " + next.error() + " (the running configuration is kept)");
      return boost::system::result<switchyard::ReloadOutcome, std::string>(boost::system::in_place_error, next.error());
    }
    for (const auto& w : next->warnings) log.warn(w);
    auto done = gateway.reload(std::move(*next));
    if (!done) {
      log.error("config reload refused: " + done.error() + " (the running configuration is kept)");
      return done;
    }
    std::string what;
    for (const auto& c : done->changes) what += (what.empty() ? "" : ", ") + c;
    log.info("config reloaded (sha256 " + done->config_hash.substr(0, 12) + "): " + (what.empty() ? "no change" : what));
    for (const auto& section : done->needs_restart) log.warn("config reload: " + section + " changed; it applies at the next start");
    return done;
  };
  return [reload, &notifier]() {
    notifier.reloading("reloading the configuration");
    auto done = reload();
    // The reason goes to the log only: `systemctl status` shows STATUS to every local user.
    notifier.ready(done ? "serving; configuration " + done->config_hash.substr(0, 12) : "serving; the last reload was refused (the reason is in the log)");
    return done;
  };
}

// Each SIGHUP reloads, until the signal set is cancelled (shutdown).
boost::asio::awaitable<void> reload_on_hangup(boost::asio::signal_set& hangups, Reloader reload, switchyard::observability::Logger& log,
                                              std::string config_path) {
  for (;;) {
    auto [ec, sig] = co_await hangups.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) co_return;
    log.info("SIGHUP: reloading " + config_path);
    reload();
  }
}

// [server] workers: 0 = one per CPU the process may run on (its affinity mask).
std::size_t worker_count(std::size_t configured) {
  if (configured > 0) return configured;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return static_cast<std::size_t>(CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

// The worker reactors: an io_context and a thread each (none with one worker: the main
// io_context serves requests too), with a log writer of their own (no lock between them).
struct Workers {
  explicit Workers(std::size_t n, switchyard::observability::LogLevel level, switchyard::observability::LogFormat format) {
    for (std::size_t i = 0; n > 1 && i < n; ++i) {
      // Several threads post to a worker (a reload, a /metrics gathering): the scheduler keeps its lock.
      contexts.push_back(std::make_unique<boost::asio::io_context>(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO));
      executors.push_back(contexts.back()->get_executor());
      writers.push_back(std::make_unique<switchyard::observability::LogWriter>(STDERR_FILENO));
      logs.push_back(std::make_unique<switchyard::observability::Logger>(level, *writers.back()));
      logs.back()->set_format(format);
    }
  }
  void start() {
    for (auto& c : contexts) threads.emplace_back([c = c.get()] { c->run(); });
  }
  void join() {
    for (auto& t : threads) t.join();
  }
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
  std::vector<boost::asio::any_io_executor> executors;
  std::vector<std::unique_ptr<switchyard::observability::LogWriter>> writers;
  std::vector<std::unique_ptr<switchyard::observability::Logger>> logs;
  std::vector<std::thread> threads;
};

using Servers = std::vector<std::unique_ptr<switchyard::server::HttpServer>>;

// Every worker's server drains at once (each on its own thread); returns when all did.
boost::asio::awaitable<void> shut_down_all(Servers& servers, switchyard::Millis grace) {
  auto ex = co_await boost::asio::this_coro::executor;
  boost::asio::steady_timer all_done(ex, boost::asio::steady_timer::time_point::max());
  auto remaining = std::make_shared<std::size_t>(servers.size());
  for (auto& s : servers) {
    boost::asio::co_spawn(s->executor(), s->shut_down(grace), [ex, remaining, &all_done](std::exception_ptr, bool) {
      boost::asio::post(ex, [remaining, &all_done] {
        if (--*remaining == 0) all_done.cancel();
      });
    });
  }
  co_await all_done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

// Runs the gateway until SIGTERM or SIGINT and its drain; the exit status.
int serve(switchyard::Config config, const std::string& config_path, switchyard::observability::Logger& log) {
  // The main reactor: signals, reload, health checks; with one worker it serves requests too.
  // Its sockets are used by its own thread only: Asio skips the I/O locks (the scheduler keeps its own).
  const std::size_t n = worker_count(config.server.workers);
  boost::asio::io_context ioc(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO);
  Workers workers(n, log.min_level(), log.format());
  try {
    switchyard::Gateway gateway(ioc.get_executor(), workers.executors, std::move(config));
    Servers servers;
    if (n == 1) servers.push_back(std::make_unique<switchyard::server::HttpServer>(ioc.get_executor(), gateway, log));
    const auto budgets = switchyard::server::HttpServer::budgets_for(gateway.config().server);  // one for every worker
    for (std::size_t i = 0; n > 1 && i < n; ++i) {
      servers.push_back(std::make_unique<switchyard::server::HttpServer>(workers.executors[i], gateway, *workers.logs[i], i + 1, n, budgets));
    }
    const auto port = servers[0]->listen();
    for (std::size_t i = 1; i < servers.size(); ++i) servers[i]->listen(port);
    for (auto& s : servers) {
      std::vector<const switchyard::server::HttpServer*> peers;
      for (auto& p : servers) {
        if (p != s) peers.push_back(p.get());
      }
      s->set_peers(std::move(peers));
    }
    const auto sc = gateway.config().server;  // a copy: a reload replaces gateway.config()
    log.info("switchyard listening on http://" + sc.host + ":" + std::to_string(port) + " with " +
             std::to_string(gateway.config().providers.size()) + " providers, " + std::to_string(gateway.config().models.size()) +
             " models and " + std::to_string(n) + (n == 1 ? " worker" : " workers"));

    switchyard::service::ServiceNotifier notifier(std::getenv("NOTIFY_SOCKET"));
    if (!notifier.error().empty()) log.warn(notifier.error());
    notifier.ready("listening on " + sc.host + ":" + std::to_string(port));
    const auto reload = reloader(config_path, gateway, log, notifier);
    for (auto& s : servers) s->set_reloader(reload, ioc.get_executor());
    boost::asio::signal_set hangups(ioc, SIGHUP);
    boost::asio::co_spawn(ioc, reload_on_hangup(hangups, reload, log, config_path), boost::asio::detached);

    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    std::signal(SIGPIPE, SIG_IGN);
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
          auto [ec, sig] = co_await signals.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
          if (ec) co_return;
          log.info("signal " + std::to_string(sig) + ": finishing in-flight requests");
          notifier.stopping("draining in-flight requests");
          hangups.cancel();
          co_await shut_down_all(servers, sc.shutdown_grace);
          // Health checks and idle upstream connections stop; every run() returns once its coroutines ended.
          gateway.shutdown();
        },
        boost::asio::detached);
    for (auto& s : servers) boost::asio::co_spawn(s->executor(), s->run(), boost::asio::detached);
    workers.start();
    ioc.run();
    workers.join();
    log.info("switchyard stopped");
  } catch (const std::exception& e) {
    log.error(std::string("startup failed: ") + e.what());
    for (auto& c : workers.contexts) c->stop();
    workers.join();
    return 1;
  }
  return 0;
}

// --probe: every provider checked as the gateway will call it; 0 only when all pass.
int run_probe(const switchyard::Config& config, bool as_json) {
  boost::asio::io_context io;
  std::vector<switchyard::probe::ProbeResult> results;
  boost::asio::co_spawn(io, switchyard::probe::probe_config(io.get_executor(), config),
                        [&](std::exception_ptr e, std::vector<switchyard::probe::ProbeResult> r) {
                          if (e) std::rethrow_exception(e);
                          results = std::move(r);
                        });
  io.run();
  std::cout << (as_json ? switchyard::probe::probe_json(results) + "\n" : switchyard::probe::probe_text(results));
  if (results.empty()) std::cerr << "switchyard: no provider to probe\n";
  bool all = !results.empty();
  for (const auto& r : results) all = all && r.ok();
  return all ? 0 : 1;
}

int main(int argc, char** argv) {
  Options options;
  if (auto code = parse_options(argc, argv, options)) return *code;
  const std::string& config_path = options.config_path;
  const bool check = options.check;
  const auto level = options.level;

  // Log lines leave through their own thread: the io thread never blocks on stderr.
  switchyard::observability::LogWriter log_writer(STDERR_FILENO);
  switchyard::observability::Logger log(level, log_writer);
  auto loaded = switchyard::load_config_file(config_path);
  if (!loaded) {
    std::cerr << "switchyard: config error: " << loaded.error() << "\n";
    return 2;
  }
  switchyard::Config config = std::move(*loaded);
  if (config.server.access_log_json) log.set_format(switchyard::observability::LogFormat::json);
  for (const auto& w : config.warnings) log.warn(w);
  if (check) {
    std::cout << config_path << ": OK (" << config.providers.size() << " providers, " << config.models.size()
              << " models, " << config.keys.size() << " keys)\n";
    // Where each provider's requests go (the first model routed to it, else MODEL).
    for (const auto& p : config.providers) {
      std::string model = "MODEL";
      for (const auto& m : config.models) {
        for (const auto& t : m.targets) {
          if (t.provider == p.name && model == "MODEL") model = t.model;
        }
      }
      std::cout << "  " << p.name << " (" << switchyard::to_string(p.type) << "): POST "
                << switchyard::text::redact_url(switchyard::providers::chat_url_of(p, model));
      if (!p.credential_source.empty()) std::cout << "  (credentials: " << p.credential_source << ")";  // where from, never the secret
      std::cout << "\n";
    }
    return 0;
  }
  if (options.probe) return run_probe(config, options.json);
  if (config.providers.empty()) log.warn("no provider is enabled: every completion will fail until one is configured");
  if (config.keys.empty()) log.warn("no client key is configured: every request will get 401");

  return serve(std::move(config), config_path, log);
}
