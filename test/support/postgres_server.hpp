#pragma once
// A real PostgreSQL server (Debian's postgresql package; scripts/setup.sh
// --test installs it) of the test's own: initdb into a temporary directory,
// listening on a free loopback port and a socket in that directory, trust
// authentication, fsync off. As root (CI), it runs as the postgres user.
// stop() / start() take it away and bring it back on the same port and data.
#include <cstdint>
#include <string>

namespace switchyard::test {

class PostgresServer {
 public:
  PostgresServer();   // initdb and start (BOOST_FAIL when PostgreSQL is missing or does not come up)
  ~PostgresServer();  // stops it and removes its directory
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // A libpq URI to database `db`.
  std::string url(const std::string& db = "postgres") const;
  // A new, empty database (a test's own); returns its URI.
  std::string fresh_database();
  void start();
  void stop();

 private:
  std::string run_as_owner(const std::string& command) const;  // the command line, as the data directory's owner
  std::string bin_, dir_;
  std::uint16_t port_ = 0;
  bool running_ = false;
  int databases_ = 0;
};

}  // namespace switchyard::test
