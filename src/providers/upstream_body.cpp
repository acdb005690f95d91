#include "providers/upstream_body.hpp"

#include <boost/json/serializer.hpp>

namespace switchyard::providers {

namespace json = boost::json;

namespace {

// Appends `v` as JSON text through a stack buffer: no temporary string per value.
void append_json(std::string& out, boost::json::serializer& sr, const boost::json::value& v) {
  char buf[4096];
  sr.reset(&v);
  while (!sr.done()) out.append(sr.read(buf, sizeof buf));
}

void append_json_string(std::string& out, boost::json::serializer& sr, std::string_view s) {
  char buf[4096];
  sr.reset(s);
  while (!sr.done()) out.append(sr.read(buf, sizeof buf));
}

// Appends ,"key":value for each member of `o` whose key `skip` does not name.
template <class Skip>
void append_members(std::string& out, boost::json::serializer& sr, const json::object& o, Skip skip) {
  for (const auto& kv : o) {
    if (skip(kv.key())) continue;
    out += ',';
    append_json_string(out, sr, kv.key());
    out += ':';
    append_json(out, sr, kv.value());
  }
}

}  // namespace

std::string openai_upstream_body(const boost::json::object& body, std::string_view model, bool stream) {
  // The client's request is shared by every attempt (retries, failover,
  // hedges): it is read, never changed; the upstream body is written anew
  // with model, stream and stream_options set for this attempt.
  std::string out;
  out.reserve(512);
  boost::json::serializer sr;
  out += "{\"model\":";
  append_json_string(out, sr, model);
  append_members(out, sr, body, [](std::string_view k) { return k == "model" || k == "stream" || k == "stream_options"; });
  if (stream) {
    // Usage is always asked for (it is what limits and spend are counted
    // from); the client's other stream options are kept.
    out += ",\"stream\":true,\"stream_options\":{\"include_usage\":true";
    if (const auto* so = body.if_contains("stream_options"); so && so->is_object()) {
      append_members(out, sr, so->as_object(), [](std::string_view k) { return k == "include_usage"; });
    }
    out += '}';
  }
  out += '}';
  return out;
}

std::string body_with_model(const json::object& body, std::string_view model) {
  std::string out;
  out.reserve(512);
  boost::json::serializer sr;
  out += "{\"model\":";
  append_json_string(out, sr, model);
  append_members(out, sr, body, [](std::string_view k) { return k == "model"; });
  out += '}';
  return out;
}

}  // namespace switchyard::providers
