#include "cache/native_shapes.hpp"

#include <boost/json.hpp>

#include <map>

#include "sse/sse_frame.hpp"

namespace switchyard::cache {

namespace json = boost::json;

namespace {

std::string event(std::string_view name, const json::object& data) { return sse::frame(name, json::serialize(data)); }

// The data of one framed event ("event: X\ndata: {...}\n\n"), its lines joined.
std::string data_of(std::string_view frame) {
  std::string out;
  std::size_t at = 0;
  while (at < frame.size()) {
    auto end = frame.find('\n', at);
    if (end == std::string_view::npos) end = frame.size();
    std::string_view line = frame.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with("data:")) {
      line.remove_prefix(5);
      if (line.starts_with(' ')) line.remove_prefix(1);
      if (!out.empty()) out += '\n';
      out += line;
    }
    at = end + 1;
  }
  return out;
}

std::optional<json::object> object_of(std::string_view frame) {
  boost::system::error_code ec;
  auto v = json::parse(data_of(frame), ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::string_view str(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

// ---- Anthropic Messages ----------------------------------------------------

std::vector<std::string> message_events(json::object message) {
  std::vector<std::string> out;
  json::array content;
  if (auto* c = message.if_contains("content"); c && c->is_array()) content = c->as_array();
  json::object usage;
  if (auto* u = message.if_contains("usage"); u && u->is_object()) usage = u->as_object();
  json::object start = message;
  start["content"] = json::array();
  start["stop_reason"] = nullptr;
  start["stop_sequence"] = nullptr;
  json::object start_usage = usage;
  start_usage["output_tokens"] = 1;
  start["usage"] = start_usage;
  out.push_back(event("message_start", json::object{{"type", "message_start"}, {"message", start}}));
  std::size_t i = 0;  // the block's index among those sent
  for (const auto& item : content) {
    if (!item.is_object()) continue;
    const auto& block = item.as_object();
    const auto type = str(block, "type");
    json::object empty = block;
    json::object delta;
    if (type == "text") {
      empty["text"] = "";
      if (auto* c = empty.if_contains("citations")) *c = json::array();
      delta = json::object{{"type", "text_delta"}, {"text", block.contains("text") ? block.at("text") : json::value("")}};
    } else if (type == "tool_use" || type == "server_tool_use") {
      empty["input"] = json::object();
      delta = json::object{{"type", "input_json_delta"},
                           {"partial_json", block.contains("input") ? json::serialize(block.at("input")) : std::string("{}")}};
    } else if (type == "thinking") {
      empty["thinking"] = "";
      empty["signature"] = "";
      delta = json::object{{"type", "thinking_delta"}, {"thinking", block.contains("thinking") ? block.at("thinking") : json::value("")}};
    }
    out.push_back(event("content_block_start", json::object{{"type", "content_block_start"}, {"index", i}, {"content_block", delta.empty() ? block : empty}}));
    if (!delta.empty()) out.push_back(event("content_block_delta", json::object{{"type", "content_block_delta"}, {"index", i}, {"delta", delta}}));
    if (type == "thinking" && block.contains("signature")) {
      out.push_back(event("content_block_delta", json::object{{"type", "content_block_delta"},
                                                             {"index", i},
                                                             {"delta", json::object{{"type", "signature_delta"}, {"signature", block.at("signature")}}}}));
    }
    out.push_back(event("content_block_stop", json::object{{"type", "content_block_stop"}, {"index", i}}));
    ++i;
  }
  json::object final_usage{{"output_tokens", usage.contains("output_tokens") ? usage.at("output_tokens") : json::value(0)}};
  out.push_back(event("message_delta", json::object{{"type", "message_delta"},
                                                   {"delta", json::object{{"stop_reason", message.contains("stop_reason") ? message.at("stop_reason") : nullptr},
                                                                          {"stop_sequence", message.contains("stop_sequence") ? message.at("stop_sequence") : nullptr}}},
                                                   {"usage", final_usage}}));
  out.push_back(event("message_stop", json::object{{"type", "message_stop"}}));
  return out;
}

std::optional<std::string> message_of(const std::vector<std::string>& events) {
  std::optional<json::object> message;
  std::map<std::size_t, std::string> partial_json;
  bool stopped = false;
  for (const auto& frame : events) {
    auto e = object_of(frame);
    if (!e) return std::nullopt;
    const auto type = str(*e, "type");
    if (type == "message_start") {
      auto* m = e->if_contains("message");
      if (!m || !m->is_object()) return std::nullopt;
      message = m->as_object();
      (*message)["content"] = json::array();
      continue;
    }
    if (!message) return std::nullopt;
    auto& content = (*message)["content"].as_array();
    const auto* index_v = e->if_contains("index");
    const std::size_t index = index_v && index_v->is_int64() && index_v->as_int64() >= 0 ? static_cast<std::size_t>(index_v->as_int64()) : 0;
    if (type == "content_block_start") {
      const auto* b = e->if_contains("content_block");
      if (!b || !b->is_object() || index != content.size()) return std::nullopt;
      content.push_back(*b);
    } else if (type == "content_block_delta") {
      const auto* d = e->if_contains("delta");
      if (!d || !d->is_object() || index >= content.size() || !content[index].is_object()) return std::nullopt;
      auto& block = content[index].as_object();
      const auto& delta = d->as_object();
      const auto dt = str(delta, "type");
      auto append = [&](const char* field, std::string_view piece) {
        std::string now(str(block, field));
        now += piece;
        block[field] = now;
      };
      if (dt == "text_delta") append("text", str(delta, "text"));
      else if (dt == "thinking_delta") append("thinking", str(delta, "thinking"));
      else if (dt == "signature_delta") block["signature"] = str(delta, "signature");
      else if (dt == "input_json_delta") partial_json[index] += str(delta, "partial_json");
      else if (dt == "citations_delta" && delta.contains("citation")) {
        auto& c = block["citations"];
        if (!c.is_array()) c = json::array();
        c.as_array().push_back(delta.at("citation"));
      }
    } else if (type == "content_block_stop") {
      if (auto it = partial_json.find(index); it != partial_json.end() && index < content.size() && content[index].is_object()) {
        boost::system::error_code ec;
        auto input = json::parse(it->second.empty() ? std::string("{}") : it->second, ec);
        if (ec) return std::nullopt;
        content[index].as_object()["input"] = std::move(input);
      }
    } else if (type == "message_delta") {
      if (const auto* d = e->if_contains("delta"); d && d->is_object()) {
        for (const auto& [k, v] : d->as_object()) (*message)[k] = v;
      }
      if (const auto* u = e->if_contains("usage"); u && u->is_object()) {
        auto& usage = (*message)["usage"];
        if (!usage.is_object()) usage = json::object();
        for (const auto& [k, v] : u->as_object()) usage.as_object()[k] = v;
      }
    } else if (type == "message_stop") {
      stopped = true;
    } else if (type == "error") {
      return std::nullopt;
    }
  }
  if (!message || !stopped) return std::nullopt;
  return json::serialize(*message);
}

// ---- OpenAI Responses ------------------------------------------------------

std::vector<std::string> response_events(const json::object& response) {
  std::vector<std::string> out;
  std::int64_t seq = 0;
  auto emit = [&](std::string_view name, json::object data) {
    data["type"] = name;
    data["sequence_number"] = seq++;
    out.push_back(event(name, data));
  };
  json::object created = response;
  created["status"] = "in_progress";
  created["output"] = json::array();
  if (created.contains("usage")) created["usage"] = nullptr;
  emit("response.created", json::object{{"response", created}});
  emit("response.in_progress", json::object{{"response", created}});
  json::array items;
  if (const auto* o = response.if_contains("output"); o && o->is_array()) items = o->as_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_object()) continue;
    const auto& item = items[i].as_object();
    const auto type = str(item, "type");
    const json::value item_id = item.contains("id") ? item.at("id") : json::value("");
    json::object added = item;
    if (added.contains("status")) added["status"] = "in_progress";
    if (type == "message") added["content"] = json::array();
    if (type == "function_call") added["arguments"] = "";
    emit("response.output_item.added", json::object{{"output_index", i}, {"item", added}});
    if (type == "message") {
      json::array parts;
      if (const auto* c = item.if_contains("content"); c && c->is_array()) parts = c->as_array();
      for (std::size_t p = 0; p < parts.size(); ++p) {
        if (!parts[p].is_object()) continue;
        const auto& part = parts[p].as_object();
        json::object empty = part;
        const bool text = str(part, "type") == "output_text";
        if (text) empty["text"] = "";
        emit("response.content_part.added", json::object{{"item_id", item_id}, {"output_index", i}, {"content_index", p}, {"part", empty}});
        if (text) {
          emit("response.output_text.delta", json::object{{"item_id", item_id}, {"output_index", i}, {"content_index", p}, {"delta", part.at("text")}});
          emit("response.output_text.done", json::object{{"item_id", item_id}, {"output_index", i}, {"content_index", p}, {"text", part.at("text")}});
        }
        emit("response.content_part.done", json::object{{"item_id", item_id}, {"output_index", i}, {"content_index", p}, {"part", part}});
      }
    } else if (type == "function_call") {
      const json::value args = item.contains("arguments") ? item.at("arguments") : json::value("");
      emit("response.function_call_arguments.delta", json::object{{"item_id", item_id}, {"output_index", i}, {"delta", args}});
      emit("response.function_call_arguments.done", json::object{{"item_id", item_id}, {"output_index", i}, {"arguments", args}});
    }
    emit("response.output_item.done", json::object{{"output_index", i}, {"item", item}});
  }
  emit("response.completed", json::object{{"response", response}});
  return out;
}

std::optional<std::string> response_of(const std::vector<std::string>& events) {
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    auto e = object_of(*it);
    if (!e) continue;
    if (str(*e, "type") != "response.completed") return std::nullopt;  // the terminal event decides
    const auto* r = e->if_contains("response");
    if (!r || !r->is_object()) return std::nullopt;
    return json::serialize(*r);
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> native_events(std::string_view body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  auto& o = v.as_object();
  try {
    if (str(o, "type") == "message") return message_events(std::move(o));
    if (str(o, "object") == "response" && str(o, "status") == "completed") return response_events(o);
  } catch (const std::exception&) {  // a value of an unexpected type: not served in the other shape
  }
  return {};
}

std::optional<std::string> native_whole(const std::vector<std::string>& events) {
  if (events.empty()) return std::nullopt;
  try {
    // The first event's own type decides (not its text: a response's fields may contain "message_start").
    const auto head = object_of(events.front());
    if (!head) return std::nullopt;
    const auto type = str(*head, "type");
    if (type == "message_start") return message_of(events);
    if (type.starts_with("response.")) return response_of(events);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace switchyard::cache
