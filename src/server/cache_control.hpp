#pragma once
// A request's say over the response cache: Cache-Control's no-cache,
// no-store and max-age=N (seconds), and x-switchyard-cache: off. Directives
// are case-insensitive and comma-separated; unknown ones and malformed
// values are ignored (a bad max-age is no max-age), so a client can never
// fail a request with this header.
#include <switchyard/chat.hpp>

#include <string_view>

namespace switchyard::server {

CacheControl parse_cache_control(std::string_view cache_control, std::string_view switchyard_cache);

}  // namespace switchyard::server
