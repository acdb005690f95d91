// HTTP request framing as the session does it: raw bytes into the request
// parser (with the session's limits), the framing checks and the head, then
// the bounded JSON parse of a complete body.
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <string_view>

#include "server/memory_budget.hpp"
#include "server/request_head.hpp"
#include "server/request_json_parser.hpp"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace switchyard::server;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(256 * 1024);
  parser.eager(true);
  // Fed in pieces of up to 97 bytes, as reads would deliver them.
  std::string buffered;
  boost::system::error_code ec;
  bool checked = false;
  while (!bytes.empty() && !ec && !parser.is_done()) {
    const auto piece = bytes.substr(0, 97);
    bytes.remove_prefix(piece.size());
    buffered.append(piece);
    if (buffered.size() > 32 * 1024) return 0;  // the session's buffer cap
    const auto used = parser.put(boost::asio::buffer(buffered.data(), buffered.size()), ec);
    if (ec == http::error::need_more) ec = {};
    buffered.erase(0, used);
    if (parser.is_header_done() && !checked) {
      checked = true;
      if (check_framing(parser.get().base())) return 0;
      const auto head = read_request_head(parser.get().base(), parser.keep_alive(), parser.chunked(), parser.content_length().value_or(0));
      (void)head.path();
    }
  }
  if (!ec && parser.is_done()) {
    MemoryBudget budget(8 * 1024 * 1024);
    RequestJsonParser json(&budget, 8);
    (void)json.parse(parser.get().body());
    json.reset();
    if (budget.used() != 0) __builtin_trap();
  }
  return 0;
}
