#include "server/request_json_parser.hpp"

#include <cmath>
#include <cstddef>
#include <new>

namespace switchyard::server {

namespace {
// Thrown by the counting resource through Boost.JSON's parser (which has no
// other way to fail an allocation) and caught in parse(): never escapes.
struct OverBudget {};
}  // namespace

RequestJsonParser::Counting::~Counting() {
  if (shared) shared->give_back(taken);
}

// Each block carries its size in front: Boost 1.81's monotonic_resource
// hands blocks back with a size other than the one it asked for.
namespace {
constexpr std::size_t kHeader = alignof(std::max_align_t);
}

void* RequestJsonParser::Counting::do_allocate(std::size_t n, std::size_t align) {
  if (align > kHeader) throw std::bad_alloc();  // Boost.JSON never asks for more
  if (n > limit - taken || n > limit) throw OverBudget{};
  if (shared && !shared->try_take(n)) {
    shared_spent = true;
    throw OverBudget{};
  }
  taken += n;
  auto* raw = static_cast<unsigned char*>(::operator new(n + kHeader));
  *reinterpret_cast<std::size_t*>(raw) = n;
  return raw + kHeader;
}

void RequestJsonParser::Counting::do_deallocate(void* p, std::size_t, std::size_t) {
  auto* raw = static_cast<unsigned char*>(p) - kHeader;
  const std::size_t n = *reinterpret_cast<std::size_t*>(raw);
  ::operator delete(raw);
  taken -= n;
  if (shared) shared->give_back(n);
}

RequestJsonParser::~RequestJsonParser() { reset(); }

void RequestJsonParser::reset() noexcept {
  parser_.reset();    // its stack and anything it still holds
  arena_.reset();     // hands its blocks back to `counting_`
  counting_.reset();
}

namespace {
bool has_non_finite(const boost::json::value& v, int depth = 0) {
  if (depth > 128) return false;
  switch (v.kind()) {
    case boost::json::kind::double_: return !std::isfinite(v.get_double());
    case boost::json::kind::array:
      for (const auto& e : v.get_array()) {
        if (has_non_finite(e, depth + 1)) return true;
      }
      return false;
    case boost::json::kind::object:
      for (const auto& kv : v.get_object()) {
        if (has_non_finite(kv.value(), depth + 1)) return true;
      }
      return false;
    default: return false;
  }
}
}  // namespace

result<boost::json::value> RequestJsonParser::parse(std::string_view text) {
  reset();
  const std::size_t limit = kFloor + factor_ * text.size();
  counting_.emplace(limit, shared_);
  // The arena's first block is sized to the body (a JSON value takes about
  // its text's size), then grows geometrically, all through `counting_`.
  arena_.emplace(text.size() + 1024, &*counting_);
  boost::json::parse_options opts;
  opts.max_depth = 64;
  try {
    // The parser's own stack (every element of an array is held there before
    // the array is built) is charged to the same budget as the values.
    parser_.emplace(boost::json::storage_ptr(&*counting_), opts);
    parser_->reset(boost::json::storage_ptr(&*arena_));
    boost::system::error_code ec;
    parser_->write(text.data(), text.size(), ec);
    if (ec) return make_error(errc::invalid_json, "the request body is not valid JSON: " + ec.message());
    auto value = parser_->release();
    // A number too large for a double (1e400) parses as infinity, which
    // would be forwarded as invalid JSON. A walk of the parsed values costs
    // a few instructions a node (a scan of the text cost ~10 a byte).
    if (has_non_finite(value)) {
      return make_error(errc::invalid_json, "the request body has a number too large for a double");
    }
    return value;
  } catch (const OverBudget&) {
    const bool shared_spent = counting_->shared_spent;
    reset();
    if (shared_spent) {
      Error e = make_error(errc::overloaded, "the gateway is parsing too many large requests at once; retry shortly");
      e.retry_after = "1";
      return e;
    }
    return make_error(errc::body_too_large, "the request body takes too much memory to parse (too many JSON values)");
  }
}

}  // namespace switchyard::server
