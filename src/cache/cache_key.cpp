#include "cache/cache_key.hpp"

#include <boost/json/serialize.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <vector>

#include "text/hex.hpp"

namespace switchyard::cache {

namespace json = boost::json;

namespace {

// A JSON string as JSON writes it (quotes, backslashes and control characters escaped).
void write_string(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the characters not yet written, appended together
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (u >= 0x20) {
      out += '\\';
      out += static_cast<char>(u);
    } else {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

template <class N>
void write_integer(N n, std::string& out) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

void write_canonical(const json::value& v, std::string& out);

// An object with its keys sorted; `top`: without the members that only say how
// the answer is delivered (stream, stream_options) or hold a test's knobs (mock).
void write_object(const json::object& o, std::string& out, bool top) {
  std::vector<const json::key_value_pair*> members;
  members.reserve(o.size());
  for (const auto& kv : o) {
    const auto k = kv.key();
    if (top && (k == "stream" || k == "stream_options" || k == "mock")) continue;
    members.push_back(&kv);
  }
  std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) { return a->key() < b->key(); });
  out += '{';
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i) out += ',';
    write_string(members[i]->key(), out);
    out += ':';
    write_canonical(members[i]->value(), out);
  }
  out += '}';
}

// Writes `v` with object keys sorted at every depth, numbers as parsed.
void write_canonical(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::object: write_object(v.get_object(), out, false); return;
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
    case json::kind::string: write_string(v.get_string(), out); return;
    case json::kind::int64: write_integer(v.get_int64(), out); return;
    case json::kind::uint64: write_integer(v.get_uint64(), out); return;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; return;
    case json::kind::null: out += "null"; return;
    case json::kind::double_: out += json::serialize(v); return;  // as parsed: the shortest text for the number
  }
}

void length_prefixed(std::string_view s, std::string& out) {
  write_integer(s.size(), out);  // no two (scope, api, route, body) splits hash the same
  out += ':';
  out += s;
}

}  // namespace

std::string canonical_body(const json::object& body) {
  std::string out;
  out.reserve(256);
  write_object(body, out, true);
  return out;
}

CacheKeyHasher::CacheKeyHasher() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {
  if (!md_) throw std::runtime_error("response cache: OpenSSL has no SHA256");
}

CacheKeyHasher::~CacheKeyHasher() { EVP_MD_free(md_); }

std::string cache_key(std::string_view scope, std::string_view api, std::string_view route, const json::object& body) {
  return CacheKeyHasher().key(scope, api, route, body);
}

std::string CacheKeyHasher::key(std::string_view scope, std::string_view api, std::string_view route, const json::object& body) {
  std::string& text = text_;
  text.clear();
  text.reserve(512);
  length_prefixed(scope, text);
  length_prefixed(api, text);
  length_prefixed(route, text);
  text += "body:";
  write_object(body, text, true);  // the rest of the text: no length prefix needed
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, md_, nullptr);  // the algorithm fetched once, not per key
  if (text.capacity() > 64 * 1024) std::string().swap(text_);  // a huge request's buffer is not kept
  return text::to_hex(digest, len);
}

}  // namespace switchyard::cache
