#include "support/postgres_server.hpp"

#include <boost/test/unit_test.hpp>

#include "support/free_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "postgres/pg_connection.hpp"

namespace switchyard::test {

namespace fs = std::filesystem;

namespace {

// The newest /usr/lib/postgresql/<version>/bin with initdb in it.
std::string server_bin() {
  std::string best;
  std::error_code ec;
  for (const auto& v : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto bin = v.path() / "bin";
    if (fs::exists(bin / "initdb") && bin.string() > best) best = bin.string();
  }
  return best;
}
}  // namespace

std::string PostgresServer::run_as_owner(const std::string& command) const {
  // initdb and postgres refuse to run as root: the postgres user (made by the package) runs them.
  return ::geteuid() == 0 ? "runuser -u postgres -- " + command : command;
}

PostgresServer::PostgresServer() : bin_(server_bin()), port_(free_port()) {
  if (bin_.empty()) BOOST_FAIL("PostgreSQL is not installed (scripts/setup.sh --test installs it)");
  dir_ = (fs::temp_directory_path() / ("sy-pg-" + std::to_string(::getpid()) + "-" + std::to_string(port_))).string();
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  if (::geteuid() == 0 && std::system(("chown postgres " + dir_).c_str()) != 0) BOOST_FAIL("cannot give " + dir_ + " to the postgres user");
  const auto init = run_as_owner(bin_ + "/initdb -D " + dir_ + "/data -U postgres -A trust -E UTF8 --no-sync > " + dir_ + "/initdb.log 2>&1");
  if (std::system(init.c_str()) != 0) BOOST_FAIL("initdb failed (" + dir_ + "/initdb.log)");
  start();
}

PostgresServer::~PostgresServer() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string PostgresServer::url(const std::string& db) const { return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + db; }

void PostgresServer::start() {
  if (running_) return;
  // -w: pg_ctl returns once the server accepts connections (bounded by its own 60 s).
  const auto cmd = run_as_owner(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -s -o \"-p " + std::to_string(port_) + " -k " +
                                dir_ + " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start");
  if (std::system(cmd.c_str()) != 0) BOOST_FAIL("PostgreSQL did not start (" + dir_ + "/server.log)");
  running_ = true;
}

void PostgresServer::stop() {
  if (!running_) return;
  (void)std::system(run_as_owner(bin_ + "/pg_ctl -D " + dir_ + "/data -w -s -m fast stop").c_str());
  running_ = false;
}

std::string PostgresServer::fresh_database() {
  const std::string name = "t" + std::to_string(++databases_);
  auto made = postgres::query_blocking(url(), "CREATE DATABASE " + name, {}, std::chrono::seconds(10));
  if (!made) BOOST_FAIL("CREATE DATABASE " + name + ": " + made.error().message);
  return url(name);
}

}  // namespace switchyard::test
