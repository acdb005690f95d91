#pragma once
// The response cache's key for a request: SHA-256 over the scope (a key's
// name, or "global"), the client API, the route and the request body in a
// canonical form: `stream`, `stream_options` and the `mock` test object
// removed (a streamed and a whole answer are the same answer), object keys
// sorted at every depth, numbers as parsed. Requests that differ in anything
// else (temperature, tools, seed, one character of a message) get different keys.
#include <boost/json/object.hpp>

#include <string>
#include <string_view>

struct evp_md_st;  // OpenSSL's EVP_MD

namespace switchyard::cache {

// The canonical text of a request body (what the key hashes).
std::string canonical_body(const boost::json::object& body);

// 64 lowercase hex digits.
std::string cache_key(std::string_view scope, std::string_view api, std::string_view route, const boost::json::object& body);

// The same, with the SHA-256 implementation fetched once and the text buffer
// reused (the response cache keeps one).
class CacheKeyHasher {
 public:
  CacheKeyHasher();
  ~CacheKeyHasher();
  CacheKeyHasher(const CacheKeyHasher&) = delete;
  CacheKeyHasher& operator=(const CacheKeyHasher&) = delete;
  std::string key(std::string_view scope, std::string_view api, std::string_view route, const boost::json::object& body);

 private:
  evp_md_st* md_;
  std::string text_;
};

}  // namespace switchyard::cache
