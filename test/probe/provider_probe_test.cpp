// switchyard --probe, the daemon binary run as an operator would, against
// the mock on its own thread: every step passes for a good provider; a wrong
// key, an unreachable host, a TLS certificate for another name and a model
// the provider does not have each fail at their step with the right reason;
// the exit status says whether all passed; no key is ever printed.
#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "mock/mock_provider.hpp"
#include "support/free_port.hpp"
#include "support/test_pki.hpp"

extern char** environ;

using namespace switchyard;
using namespace switchyard::test;

namespace {

// The mock (plain and TLS) on a thread of its own: the probe is another process.
struct Mocks {
  TestPki pki;
  boost::asio::io_context io;
  mock::MockProvider plain{io.get_executor(), {}};
  mock::MockProvider tls{io.get_executor(), tls_options(pki)};
  std::uint16_t plain_port = 0, tls_port = 0;
  std::thread thread;
  static mock::MockOptions tls_options(const TestPki& pki) {
    mock::MockOptions mo;
    mo.tls_cert_file = pki.file("server.pem");
    mo.tls_key_file = pki.file("server.key");
    return mo;
  }
  Mocks() {
    mock::MockBehaviour refused;
    refused.status = 401;
    plain.set_behaviour_for("Bearer sy-probe-wrong-key-999", refused);
    plain_port = plain.listen();
    tls_port = tls.listen();
    boost::asio::co_spawn(io, plain.run(), boost::asio::detached);
    boost::asio::co_spawn(io, tls.run(), boost::asio::detached);
    thread = std::thread([this] { io.run(); });
  }
  ~Mocks() {
    boost::asio::post(io, [this] {  // every coroutine of the mocks then ends, and so does the thread's run()
      plain.stop();
      tls.stop();
    });
    thread.join();
  }
};

struct Run {
  int status = -1;
  std::string out;
};

// The daemon with `args`, its stdout read to the end (bounded by the probe's own timeouts).
Run run_binary(const std::vector<std::string>& args) {
  const char* binary = std::getenv("SWITCHYARD_BIN");
  BOOST_REQUIRE_MESSAGE(binary, "SWITCHYARD_BIN names the daemon (set by ctest)");
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<std::string> all{binary};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  BOOST_REQUIRE(posix_spawn(&pid, binary, &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  Run r;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) r.out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string write_config(const TestPki& pki, std::string body) {
  const std::string path = pki.file("probe.toml");
  std::ofstream(path) << body;
  return path;
}

const boost::json::object& result_for(const boost::json::value& doc, std::string_view provider, std::string_view model) {
  for (const auto& r : doc.at("results").as_array()) {
    if (r.at("provider").as_string() == provider && r.at("model").as_string() == model) return r.as_object();
  }
  BOOST_FAIL("no result for " << provider << "/" << model);
  static boost::json::object none;
  return none;
}

// The failed step's name and reason ("" when it passed).
std::pair<std::string, std::string> failure(const boost::json::object& r) {
  for (const auto& s : r.at("steps").as_array()) {
    if (!s.at("ok").as_bool()) return {std::string(s.at("name").as_string()), std::string(s.at("detail").as_string())};
  }
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(provider_probe)

BOOST_AUTO_TEST_CASE(each_provider_passes_or_fails_at_its_step_with_the_reason_and_never_the_key) {
  Mocks m;
  const auto closed = free_port();
  const std::string plain = "http://127.0.0.1:" + std::to_string(m.plain_port) + "/v1";
  const auto path = write_config(m.pki, R"(
[[providers]]
name = "good"
type = "openai"
base_url = ")" + plain + R"("
api_key = "sy-probe-good-key-123"
[[providers]]
name = "wrongkey"
type = "openai"
base_url = ")" + plain + R"("
api_key = "sy-probe-wrong-key-999"
[[providers]]
name = "down"
type = "openai"
base_url = "http://127.0.0.1:)" + std::to_string(closed) + R"(/v1"
api_key = "sy-probe-good-key-123"
connect_timeout_ms = 2000
[[providers]]
name = "othername"
type = "openai"
base_url = "https://127.0.0.1:)" + std::to_string(m.tls_port) + R"(/v1"
api_key = "sy-probe-good-key-123"
tls_ca_file = ")" + m.pki.file("ca.pem") + R"("
[[providers]]
name = "secure"
type = "openai"
base_url = "https://localhost:)" + std::to_string(m.tls_port) + R"(/v1"
api_key = "sy-probe-good-key-123"
tls_ca_file = ")" + m.pki.file("ca.pem") + R"("
[[models]]
name = "fast"
targets = [{ provider = "good", model = "mock-fast" }, { provider = "wrongkey", model = "mock-fast" },
           { provider = "down", model = "mock-fast" }, { provider = "othername", model = "mock-fast" },
           { provider = "good", model = "missing-model" }, { provider = "secure", model = "mock-fast" }]
)");
  const auto run = run_binary({"--probe", "--config", path, "--json"});
  BOOST_TEST(run.status == 1);  // not all passed
  BOOST_TEST(run.out.find("sy-probe-good-key-123") == std::string::npos);
  BOOST_TEST(run.out.find("sy-probe-wrong-key-999") == std::string::npos);
  const auto doc = boost::json::parse(run.out);
  BOOST_TEST(!doc.at("ok").as_bool());
  const auto& good = result_for(doc, "good", "mock-fast");
  BOOST_TEST(good.at("ok").as_bool());
  std::vector<std::string> steps;
  for (const auto& s : good.at("steps").as_array()) steps.emplace_back(s.at("name").as_string());
  BOOST_TEST(steps == (std::vector<std::string>{"dns", "tcp", "chat", "stream", "tools"}), boost::test_tools::per_element());
  BOOST_TEST(result_for(doc, "secure", "mock-fast").at("ok").as_bool());  // TLS verified against the test CA
  auto [step, why] = failure(result_for(doc, "wrongkey", "mock-fast"));
  BOOST_TEST(step == "chat");
  BOOST_TEST(why.starts_with("HTTP 401"), why);
  std::tie(step, why) = failure(result_for(doc, "down", "mock-fast"));
  BOOST_TEST(step == "tcp");
  BOOST_TEST(why.find("refused") != std::string::npos, why);
  std::tie(step, why) = failure(result_for(doc, "othername", "mock-fast"));
  BOOST_TEST(step == "tls");
  BOOST_TEST(why.find("certificate not valid for 127.0.0.1") != std::string::npos, why);
  std::tie(step, why) = failure(result_for(doc, "good", "missing-model"));
  BOOST_TEST(step == "chat");
  BOOST_TEST(why.starts_with("HTTP 404 model_not_found"), why);
}

BOOST_AUTO_TEST_CASE(all_passing_is_exit_status_0_with_one_line_per_target) {
  Mocks m;
  const auto path = write_config(m.pki, R"(
[[providers]]
name = "good"
type = "openai"
base_url = "http://127.0.0.1:)" + std::to_string(m.plain_port) + R"(/v1"
api_key = "sy-probe-good-key-123"
[[providers]]
name = "spare"
type = "openai"
base_url = "http://127.0.0.1:)" + std::to_string(m.plain_port) + R"(/v1"
api_key = "sy-probe-good-key-123"
[[models]]
name = "fast"
targets = [{ provider = "good", model = "mock-fast", tools = false }]
)");
  const auto run = run_binary({"--probe", "--config", path});
  BOOST_TEST(run.status == 0);
  BOOST_TEST(run.out.starts_with("ok    good/mock-fast"), run.out);
  BOOST_TEST(run.out.find("tools") == std::string::npos);  // the target takes no tools: not asked
  BOOST_TEST(run.out.find("\nok    spare ") != std::string::npos, run.out);  // no route uses it: its listing
  BOOST_TEST(run.out.find("listing") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
