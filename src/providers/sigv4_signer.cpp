#include "providers/sigv4_signer.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "text/hex.hpp"
#include "text/utc_time.hpp"

namespace switchyard::providers {

namespace {
using Digest = std::string;  // raw 32 bytes

Digest hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  return Digest(reinterpret_cast<const char*>(out), size);
}

std::string hex_of(const Digest& d) { return text::to_hex(reinterpret_cast<const unsigned char*>(d.data()), d.size()); }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A header value as signed: trimmed, inner runs of whitespace as one space.
std::string canonical_value(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (std::size_t at = 0; at < query.size();) {
    auto end = query.find('&', at);
    if (end == std::string_view::npos) end = query.size();
    const auto item = query.substr(at, end - at);
    if (!item.empty()) {
      const auto eq = item.find('=');
      const auto k = item.substr(0, eq);
      const auto v = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
      pairs.emplace_back(aws_uri_encode(k, false), aws_uri_encode(v, false));
    }
    at = end + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &size, EVP_sha256(), nullptr);
  return text::to_hex(out, size);
}

std::string aws_uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string aws_canonical_uri(std::string_view wire_path) {
  std::vector<std::string_view> segments;
  for (std::size_t at = 0; at <= wire_path.size();) {
    auto end = wire_path.find('/', at);
    if (end == std::string_view::npos) end = wire_path.size();
    const auto seg = wire_path.substr(at, end - at);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    at = end + 1;
  }
  std::string out;
  for (const auto seg : segments) out += "/" + aws_uri_encode(seg, false);
  if (out.empty() || (wire_path.size() > 1 && wire_path.back() == '/')) out += '/';
  return out;
}

SigV4Signature sign_v4(const SigV4Request& r, const AwsCredentials& c, std::string_view region, std::string_view service,
                       std::int64_t unix_seconds) {
  SigV4Signature s;
  s.amz_date = text::utc_time_text(unix_seconds, true);
  const std::string date = s.amz_date.substr(0, 8);
  std::map<std::string, std::string> headers;  // sorted by lower-case name; repeated ones joined with ','
  auto add = [&headers](std::string name, std::string_view value) {
    auto& slot = headers[lower(name)];
    slot += (slot.empty() ? "" : ",") + canonical_value(value);
  };
  add("host", r.host);
  add("x-amz-date", s.amz_date);
  if (!c.session_token.empty()) add("x-amz-security-token", c.session_token);
  for (const auto& [name, value] : r.headers) add(name, value);
  std::string canonical_headers, signed_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers += name + ":" + value + "\n";
    signed_headers += (signed_headers.empty() ? "" : ";") + name;
  }
  s.canonical_request = std::string(r.method) + "\n" + aws_canonical_uri(r.path) + "\n" + canonical_query(r.query) + "\n" + canonical_headers +
                        "\n" + signed_headers + "\n" + sha256_hex(r.body);
  const std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
  s.string_to_sign = "AWS4-HMAC-SHA256\n" + s.amz_date + "\n" + scope + "\n" + sha256_hex(s.canonical_request);
  const Digest k_date = hmac("AWS4" + c.secret_access_key, date);
  const Digest k_signing = hmac(hmac(hmac(k_date, region), service), "aws4_request");
  s.signature = hex_of(hmac(k_signing, s.string_to_sign));
  s.authorization = "AWS4-HMAC-SHA256 Credential=" + c.access_key_id + "/" + scope + ", SignedHeaders=" + signed_headers + ", Signature=" + s.signature;
  s.headers.emplace_back("x-amz-date", s.amz_date);
  if (!c.session_token.empty()) s.headers.emplace_back("x-amz-security-token", c.session_token);
  s.headers.emplace_back("authorization", s.authorization);
  return s;
}

}  // namespace switchyard::providers
