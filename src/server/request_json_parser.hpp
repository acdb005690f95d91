#pragma once
// Parses a request body into JSON with a byte budget. The parsed value lives
// in an arena owned by this object (no malloc per node); the arena may take
// at most `factor` times the body's size (plus a small floor), and every
// block it takes is also charged to a budget shared by all connections. Past
// either bound the parse stops with `errc::body_too_large` (per request) or
// `errc::overloaded` (all requests together): a body of 2 M tiny numbers
// cannot make the gateway hold a gigabyte. Everything is given back when
// the parser is destroyed or reset, i.e. after each response.
#include <switchyard/error.hpp>

#include <boost/json/memory_resource.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string_view>

#include "server/memory_budget.hpp"

namespace switchyard::server {

class RequestJsonParser {
 public:
  // `shared` may be null (no shared bound).
  RequestJsonParser(MemoryBudget* shared, std::size_t factor) : shared_(shared), factor_(factor) {}
  RequestJsonParser(const RequestJsonParser&) = delete;
  RequestJsonParser& operator=(const RequestJsonParser&) = delete;
  ~RequestJsonParser();

  // Parses `text`; the value is valid until reset() or destruction.
  // Errors: invalid_json, body_too_large (over this request's budget),
  // overloaded (the shared budget is spent).
  result<boost::json::value> parse(std::string_view text);

  // Frees the arena and gives its bytes back to the shared budget.
  void reset() noexcept;

  // Bytes the arena holds now.
  std::size_t held() const noexcept { return counting_ ? counting_->taken : 0; }

  static constexpr std::size_t kFloor = 64 * 1024;  // every body may take at least this much

 private:
  // Counts (and bounds) what the arena takes from the heap.
  struct Counting final : boost::json::memory_resource {
    Counting(std::size_t limit, MemoryBudget* shared) : limit(limit), shared(shared) {}
    ~Counting() override;
    void* do_allocate(std::size_t n, std::size_t align) override;
    void do_deallocate(void* p, std::size_t n, std::size_t align) override;
    bool do_is_equal(const boost::json::memory_resource& other) const noexcept override { return this == &other; }
    std::size_t limit;
    MemoryBudget* shared;
    std::size_t taken = 0;
    bool shared_spent = false;
  };

  MemoryBudget* shared_;
  std::size_t factor_;
  std::optional<Counting> counting_;
  std::optional<boost::json::monotonic_resource> arena_;
  std::optional<boost::json::parser> parser_;
};

}  // namespace switchyard::server
