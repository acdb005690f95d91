#pragma once
// A real redis-server (Debian's package; scripts/setup.sh --test installs it)
// on a free loopback port, without persistence, for the tests of the shared
// state. stop() / start() take it away and bring it back on the same port;
// pause() / resume() freeze it (SIGSTOP) so that commands time out.
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace switchyard::test {

class RedisServer {
 public:
  RedisServer();   // starts it (BOOST_FAIL when redis-server is missing or does not come up)
  ~RedisServer();  // stops it
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }
  void start();
  void stop();
  void pause();
  void resume();

 private:
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool paused_ = false;
};

}  // namespace switchyard::test
