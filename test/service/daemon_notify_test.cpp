// The daemon under a service manager: started with $NOTIFY_SOCKET as systemd
// starts a Type=notify service, it says READY=1 once it listens (and /health
// answers at once), RELOADING=1 then READY=1 around SIGHUP, and STOPPING=1
// on SIGTERM before it exits 0. The test is the service manager: a datagram
// socket in a temporary directory. Also the notifier's messages and its
// refusal of names that are not socket addresses.
#include <boost/test/unit_test.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/datagram_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "service/service_notifier.hpp"
#include "support/async.hpp"
#include "support/http_client.hpp"

extern char** environ;

using namespace switchyard;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// A free loopback port (bound, read, released).
std::uint16_t free_port(asio::io_context& ioc) {
  asio::ip::tcp::acceptor a(ioc, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// The next datagram, or "" after `limit`.
std::string receive(asio::io_context& ioc, asio::local::datagram_protocol::socket& sock, std::chrono::milliseconds limit = 10s) {
  using namespace asio::experimental::awaitable_operators;
  return test::run_async(ioc, [&]() -> asio::awaitable<std::string> {
    std::string buf(4096, '\0');
    asio::steady_timer timer(ioc, limit);
    auto got = co_await (sock.async_receive(asio::buffer(buf), asio::as_tuple(asio::use_awaitable)) ||
                         timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (got.index() != 0) co_return std::string();
    auto [ec, n] = std::get<0>(got);
    co_return ec ? std::string() : buf.substr(0, n);
  }(), limit + 5s);
}

struct Daemon {
  pid_t pid = -1;
  Daemon(const std::string& binary, const std::string& config, const std::string& notify_socket) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
      if (std::string_view(*e).starts_with("NOTIFY_SOCKET=")) continue;
      env_strings.emplace_back(*e);
    }
    env_strings.push_back("NOTIFY_SOCKET=" + notify_socket);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = {binary, "--config", config, "--log-level", "warn"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    BOOST_REQUIRE(posix_spawn(&pid, binary.c_str(), nullptr, nullptr, argv.data(), envp.data()) == 0);
  }
  int wait() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  ~Daemon() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(daemon_notify)

BOOST_AUTO_TEST_CASE(the_messages_are_systemd_assignments_and_bad_names_disable_the_notifier) {
  BOOST_TEST(service::ready_message("") == "READY=1");
  BOOST_TEST(service::ready_message("listening on 127.0.0.1:8080") == "READY=1\nSTATUS=listening on 127.0.0.1:8080");
  BOOST_TEST(service::reloading_message(1234567, "") == "RELOADING=1\nMONOTONIC_USEC=1234567");
  BOOST_TEST(service::stopping_message("a\nb") == "STOPPING=1\nSTATUS=a b");  // a status cannot add an assignment
  service::ServiceNotifier none(nullptr);
  BOOST_TEST(!none.enabled());
  BOOST_TEST(!none.ready("x"));
  service::ServiceNotifier relative("run/notify");
  BOOST_TEST(!relative.enabled());
  BOOST_TEST(!relative.error().empty());
  service::ServiceNotifier too_long(("/" + std::string(200, 'a')).c_str());
  BOOST_TEST(!too_long.enabled());
}

BOOST_AUTO_TEST_CASE(ready_after_listening_reloading_around_sighup_stopping_on_sigterm) {
  const char* binary = std::getenv("SWITCHYARD_BIN");
  BOOST_REQUIRE_MESSAGE(binary, "SWITCHYARD_BIN names the daemon (set by ctest)");
  asio::io_context ioc;
  const auto dir = std::filesystem::temp_directory_path() / ("switchyard-notify-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  struct Cleanup {
    std::filesystem::path p;
    ~Cleanup() { std::filesystem::remove_all(p); }
  } cleanup{dir};
  const std::string socket_path = (dir / "notify").string();
  asio::local::datagram_protocol::socket manager(ioc, asio::local::datagram_protocol::endpoint(socket_path));
  const auto port = free_port(ioc);
  const std::string config = (dir / "switchyard.toml").string();
  std::ofstream(config) << "[server]\nlisten = \"127.0.0.1:" << port << "\"\nshutdown_grace_ms = 2000\n";

  Daemon daemon(binary, config, socket_path);
  const auto ready = receive(ioc, manager);
  BOOST_TEST(ready.starts_with("READY=1\nSTATUS=listening on 127.0.0.1:" + std::to_string(port)), ready);
  // READY means listening: the first request after it is answered.
  const auto health = test::run_async(ioc, test::http_call(port, boost::beast::http::verb::get, "/health", "", {}));
  BOOST_TEST(health.status == 200);

  ::kill(daemon.pid, SIGHUP);
  const auto reloading = receive(ioc, manager);
  BOOST_TEST(reloading.starts_with("RELOADING=1\nMONOTONIC_USEC="), reloading);
  const auto reloaded = receive(ioc, manager);
  BOOST_TEST(reloaded.starts_with("READY=1\nSTATUS=serving; configuration "), reloaded);

  // An invalid file: refused, the running configuration kept, and the manager told so.
  std::ofstream(config) << "[server\n";
  ::kill(daemon.pid, SIGHUP);
  BOOST_TEST(receive(ioc, manager).starts_with("RELOADING=1"));
  const auto refused = receive(ioc, manager);
  BOOST_TEST(refused.starts_with("READY=1\nSTATUS=serving; the last reload was refused"), refused);
  BOOST_TEST(refused.find("switchyard.toml") == std::string::npos, refused);  // the reason is in the log, not in `systemctl status`

  ::kill(daemon.pid, SIGTERM);
  const auto stopping = receive(ioc, manager);
  BOOST_TEST(stopping.starts_with("STOPPING=1"), stopping);
  BOOST_TEST(daemon.wait() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
