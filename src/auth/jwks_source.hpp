#pragma once
// The identity provider's key set, kept current: read from jwks_file at
// start, or fetched from jwks_url at start and every jwks_refresh_ms (10
// minutes), and at once when a token names a kid the set lacks (at most once
// a minute: a flood of made-up kids costs one fetch a minute). A failed fetch
// keeps the last good set. Fetches run on the executor given; keys() is read
// from any worker thread.
#include <switchyard/config.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "auth/jwks.hpp"

namespace switchyard::auth {

class JwksSource {
 public:
  using Clock = std::function<std::int64_t()>;  // milliseconds, steady
  static constexpr std::int64_t kUnknownKidInterval = 60'000;
  // Throws std::invalid_argument / std::runtime_error for a URL it cannot use or a file it cannot read (startup).
  JwksSource(const boost::asio::any_io_executor& ex, const JwtConfig& config, Clock clock = {});
  ~JwksSource();
  JwksSource(const JwksSource&) = delete;
  JwksSource& operator=(const JwksSource&) = delete;

  // The current set (null until the first fetch answered). Any thread.
  std::shared_ptr<const KeySet> keys() const;
  // A token named a kid the set lacks: fetch again now, unless that was done in the last minute. Any thread.
  void unknown_kid();
  std::uint64_t fetches() const noexcept;
  std::string last_error() const;
  void stop() noexcept;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace switchyard::auth
