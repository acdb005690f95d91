#pragma once
// Identical requests on different worker reactors: which keys are being
// fetched by a worker now. A Flight (the answer arriving chunk by chunk) is a
// worker's own; a request on another worker for the same key waits here,
// on its own executor, until that fetch ends, then reads the stored answer
// (or gets the fetch's failure): a hundred identical requests spread over
// the workers still cost one provider call. One board for every worker; its
// lock is held to claim, end or join a fetch, never across a wait.
#include <switchyard/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace switchyard::cache {

class FlightBoard {
 public:
  // How long a request waits for another worker's fetch at most (the fetch itself is bounded by its route's timeouts).
  static constexpr std::chrono::minutes kMaxWait{10};

  // True: the caller leads the fetch of `key` (no other fetch of it is in flight); it must end() it.
  bool claim(const std::string& key);
  // The fetch ended: its answer is stored (if it may be), or `failed` (null: it did not fail).
  // Every waiter wakes on its own executor.
  void end(const std::string& key, const Error* failed);

  struct Outcome {
    enum class How { ended, client_left, timed_out } how = How::ended;
    std::optional<Error> failed;  // the fetch's failure (ended): every waiter gets it, as followers on its worker do
  };
  // Waits until the fetch of `key` in flight elsewhere ends (at once when none is).
  boost::asio::awaitable<Outcome> wait(std::string key, std::chrono::milliseconds limit = kMaxWait);

  std::size_t in_flight() const;

 private:
  struct Waiter;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Waiter>>> fetching_;  // key → who waits for it
};

}  // namespace switchyard::cache
