#pragma once
// A provider key's declared limits counted beyond this replica (with
// [state] backend = "redis"): asked after the key pool picked a key whose
// limits it also counts locally. Implemented by the pipeline's shared
// admission; a provider client knows it by this interface only.
#include <switchyard/config.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string_view>

namespace switchyard::providers {

class KeyQuota {
 public:
  virtual ~KeyQuota() = default;
  // Takes a request and `tokens` from the key's shared windows: 0 when taken,
  // else how long (ms) until the key can take it (the key rests that long);
  // Redis not answering in time counts as taken (the local count decided).
  virtual boost::asio::awaitable<std::int64_t> take_key(std::string_view provider, std::string_view fingerprint,
                                                        const LimitsConfig& limits, std::uint64_t tokens) = 0;
};

}  // namespace switchyard::providers
