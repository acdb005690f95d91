#include "cache/cache_key.hpp"

#include <boost/json/serialize.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <vector>

namespace switchyard::cache {

namespace json = boost::json;

namespace {

void write_canonical(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::object: {
      const auto& o = v.get_object();
      std::vector<const json::key_value_pair*> members;
      members.reserve(o.size());
      for (const auto& kv : o) members.push_back(&kv);
      std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out += '{';
      bool first = true;
      for (const auto* kv : members) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::value(kv->key()));
        out += ':';
        write_canonical(kv->value(), out);
      }
      out += '}';
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_canonical(item, out);
      }
      out += ']';
      return;
    }
    default:
      out += json::serialize(v);  // strings escaped, numbers as parsed
  }
}

}  // namespace

std::string canonical_body(const json::object& body) {
  json::object trimmed;
  for (const auto& kv : body) {
    const auto k = kv.key();
    if (k == "stream" || k == "stream_options" || k == "mock") continue;  // how it is delivered, or a test's knobs
    trimmed.emplace(k, kv.value());
  }
  std::string out;
  write_canonical(trimmed, out);
  return out;
}

std::string cache_key(std::string_view scope, std::string_view api, std::string_view route, const json::object& body) {
  const std::string canonical = canonical_body(body);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  auto field = [&](std::string_view s) {
    // Length-prefixed: no two (scope, api, route) splits hash the same.
    const std::string n = std::to_string(s.size()) + ':';
    EVP_DigestUpdate(ctx, n.data(), n.size());
    EVP_DigestUpdate(ctx, s.data(), s.size());
  };
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  field(scope);
  field(api);
  field(route);
  field(canonical);
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace switchyard::cache
