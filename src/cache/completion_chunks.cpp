#include "cache/completion_chunks.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>

#include "text/byte_search.hpp"

namespace switchyard::cache {

namespace json = boost::json;

namespace {

struct ToolCall {
  std::string id, type = "function", name, arguments;
};

struct Choice {
  std::string role = "assistant";
  std::string content, reasoning, refusal;
  bool has_content = false, has_reasoning = false, has_refusal = false;
  std::map<std::int64_t, ToolCall> tools;
  json::value finish = nullptr;
};

void add_text(const json::object& delta, const char* name, std::string& out, bool& has) {
  if (const auto* v = delta.if_contains(name); v && v->is_string()) {
    out += v->as_string();
    has = true;
  }
}

void add_tool_calls(const json::array& calls, Choice& c) {
  for (const auto& call : calls) {
    if (!call.is_object()) continue;
    const auto& o = call.as_object();
    std::int64_t index = 0;
    if (const auto* i = o.if_contains("index"); i && i->is_int64()) index = i->as_int64();
    ToolCall& t = c.tools[index];
    if (const auto* id = o.if_contains("id"); id && id->is_string()) t.id = id->as_string();
    if (const auto* ty = o.if_contains("type"); ty && ty->is_string()) t.type = ty->as_string();
    if (const auto* f = o.if_contains("function"); f && f->is_object()) {
      if (const auto* n = f->as_object().if_contains("name"); n && n->is_string()) t.name += n->as_string();
      if (const auto* a = f->as_object().if_contains("arguments"); a && a->is_string()) t.arguments += a->as_string();
    }
  }
}

json::object message_of(const Choice& c) {
  json::object m;
  m["role"] = c.role;
  if (c.has_content || c.tools.empty()) m["content"] = c.content;
  else m["content"] = nullptr;
  if (c.has_reasoning) m["reasoning_content"] = c.reasoning;
  if (c.has_refusal) m["refusal"] = c.refusal;
  if (!c.tools.empty()) {
    json::array calls;
    for (const auto& [index, t] : c.tools) {
      calls.push_back(json::object{{"id", t.id}, {"type", t.type}, {"function", json::object{{"name", t.name}, {"arguments", t.arguments}}}});
    }
    m["tool_calls"] = std::move(calls);
  }
  return m;
}

}  // namespace

template <class Chunks>
std::optional<std::string> assemble_completion(const Chunks& chunks) {
  json::object out;
  std::map<std::int64_t, Choice> choices;
  json::value usage = nullptr;
  bool finished = false;
  for (const auto& text : chunks) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    auto& chunk = v.as_object();
    for (const char* k : {"id", "created", "model", "system_fingerprint", "service_tier"}) {
      if (const auto* f = chunk.if_contains(k); f && !f->is_null() && !out.contains(k)) out[k] = *f;
    }
    if (const auto* u = chunk.if_contains("usage"); u && u->is_object()) usage = *u;
    const auto* list = chunk.if_contains("choices");
    if (!list || !list->is_array()) continue;
    for (const auto& item : list->as_array()) {
      if (!item.is_object()) continue;
      const auto& ch = item.as_object();
      std::int64_t index = 0;
      if (const auto* i = ch.if_contains("index"); i && i->is_int64()) index = i->as_int64();
      Choice& c = choices[index];
      if (const auto* d = ch.if_contains("delta"); d && d->is_object()) {
        const auto& delta = d->as_object();
        if (const auto* r = delta.if_contains("role"); r && r->is_string()) c.role = r->as_string();
        add_text(delta, "content", c.content, c.has_content);
        add_text(delta, "reasoning_content", c.reasoning, c.has_reasoning);
        add_text(delta, "refusal", c.refusal, c.has_refusal);
        if (const auto* t = delta.if_contains("tool_calls"); t && t->is_array()) add_tool_calls(t->as_array(), c);
      }
      if (const auto* f = ch.if_contains("finish_reason"); f && f->is_string()) {
        c.finish = *f;
        finished = true;
      }
    }
  }
  if (!finished) return std::nullopt;
  json::object body;
  body["id"] = out.contains("id") ? out["id"] : json::value("");
  body["object"] = "chat.completion";
  body["created"] = out.contains("created") ? out["created"] : json::value(0);
  body["model"] = out.contains("model") ? out["model"] : json::value("");
  json::array list;
  for (const auto& [index, c] : choices) {
    list.push_back(json::object{{"index", index}, {"message", message_of(c)}, {"logprobs", nullptr}, {"finish_reason", c.finish}});
  }
  body["choices"] = std::move(list);
  if (!usage.is_null()) body["usage"] = usage;
  for (const char* k : {"system_fingerprint", "service_tier"}) {
    if (out.contains(k)) body[k] = out[k];
  }
  return json::serialize(body);
}

template std::optional<std::string> assemble_completion(const std::deque<std::string>&);
template std::optional<std::string> assemble_completion(const std::vector<std::string>&);

namespace {

json::object chunk_head(const json::object& completion) {
  json::object c;
  c["id"] = completion.contains("id") ? completion.at("id") : json::value("");
  c["object"] = "chat.completion.chunk";
  c["created"] = completion.contains("created") ? completion.at("created") : json::value(0);
  c["model"] = completion.contains("model") ? completion.at("model") : json::value("");
  if (const auto* f = completion.if_contains("system_fingerprint"); f && !f->is_null()) c["system_fingerprint"] = *f;
  return c;
}

std::string one_choice(const json::object& head, std::int64_t index, json::object delta, json::value finish = nullptr) {
  json::object c = head;
  c["choices"] = json::array{json::object{{"index", index}, {"delta", std::move(delta)}, {"logprobs", nullptr}, {"finish_reason", std::move(finish)}}};
  return json::serialize(c);
}

void choice_chunks(const json::object& head, const json::object& choice, std::vector<std::string>& out) {
  std::int64_t index = 0;
  if (const auto* i = choice.if_contains("index"); i && i->is_int64()) index = i->as_int64();
  json::object message;
  if (const auto* m = choice.if_contains("message"); m && m->is_object()) message = m->as_object();
  const auto* role = message.if_contains("role");
  out.push_back(one_choice(head, index, json::object{{"role", role && role->is_string() ? *role : json::value("assistant")}, {"content", ""}}));
  for (const char* k : {"reasoning_content", "refusal", "content"}) {
    if (const auto* v = message.if_contains(k); v && v->is_string() && !v->as_string().empty()) out.push_back(one_choice(head, index, json::object{{k, *v}}));
  }
  if (const auto* calls = message.if_contains("tool_calls"); calls && calls->is_array()) {
    std::int64_t n = 0;
    for (const auto& call : calls->as_array()) {
      if (!call.is_object()) continue;
      json::object delta_call = call.as_object();
      delta_call["index"] = n++;
      out.push_back(one_choice(head, index, json::object{{"tool_calls", json::array{std::move(delta_call)}}}));
    }
  }
  const auto* finish = choice.if_contains("finish_reason");
  out.push_back(one_choice(head, index, json::object{}, finish ? *finish : json::value("stop")));
}

}  // namespace

std::vector<std::string> completion_to_chunks(std::string_view completion, bool include_usage) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = json::parse(completion, ec);
  if (ec || !v.is_object()) return out;
  const auto& body = v.as_object();
  const auto* choices = body.if_contains("choices");
  if (!choices || !choices->is_array()) return out;
  const json::object head = chunk_head(body);
  for (const auto& choice : choices->as_array()) {
    if (choice.is_object()) choice_chunks(head, choice.as_object(), out);
  }
  if (const auto* usage = body.if_contains("usage"); include_usage && usage && usage->is_object()) {
    json::object c = head;
    c["choices"] = json::array();
    c["usage"] = *usage;
    out.push_back(json::serialize(c));
  }
  return out;
}

bool is_usage_only_chunk(std::string_view chunk) noexcept {
  return text::contains_bytes(chunk, "\"choices\":[]") && text::contains_bytes(chunk, "\"usage\":{");
}

void UsageMarks::note(std::size_t index, std::string_view chunk) {
  if (!text::contains_bytes(chunk, "\"usage\":{")) return;
  carries_usage = true;
  if (text::contains_bytes(chunk, "\"choices\":[]")) usage_only.push_back(index);
}

std::string usage_chunk(std::string_view like, const Usage& u) {
  json::object head;
  boost::system::error_code ec;
  if (auto v = json::parse(like, ec); !ec && v.is_object()) head = chunk_head(v.as_object());
  head["choices"] = json::array();
  head["usage"] = json::object{{"prompt_tokens", u.prompt_tokens},
                               {"completion_tokens", u.completion_tokens},
                               {"total_tokens", u.total()},
                               {"prompt_tokens_details", json::object{{"cached_tokens", u.cached_tokens}}},
                               {"completion_tokens_details", json::object{{"reasoning_tokens", u.reasoning_tokens}}}};
  return json::serialize(head);
}

namespace {
// `"name"` followed (after spaces and a colon) by a string; `value` non-empty: that string.
bool has_string_member(std::string_view text, std::string_view name, std::string_view value = {}) noexcept {
  for (std::size_t at = text.find(name); at != std::string_view::npos; at = text.find(name, at + 1)) {
    std::size_t i = at + name.size();
    auto skip = [&] {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
    };
    skip();
    if (i >= text.size() || text[i] != ':') continue;
    ++i;
    skip();
    if (i >= text.size() || text[i] != '"') continue;
    if (value.empty() || text.substr(i + 1).starts_with(value)) return true;
  }
  return false;
}
}  // namespace

bool finished_answer(std::string_view body) noexcept {
  boost::system::error_code ec;
  const auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return false;
  const auto& o = v.as_object();
  auto is_string = [&](const json::object& obj, std::string_view name) {
    const auto* m = obj.if_contains(name);
    return m && m->is_string() && !m->as_string().empty();
  };
  if (const auto* type = o.if_contains("object"); type && type->is_string() && type->as_string() == "response") {
    const auto* status = o.if_contains("status");
    return status && status->is_string() && status->as_string() == "completed";
  }
  if (const auto* type = o.if_contains("type"); type && type->is_string() && type->as_string() == "message") return is_string(o, "stop_reason");
  const auto* choices = o.if_contains("choices");
  if (!choices || !choices->is_array() || choices->as_array().empty()) return false;
  for (const auto& c : choices->as_array()) {
    if (!c.is_object() || !is_string(c.as_object(), "finish_reason")) return false;
  }
  return true;
}

bool finished_stream(const std::deque<std::string>& chunks, const UsageMarks& marks) noexcept {
  for (std::size_t i = chunks.size(); i-- > 0;) {
    if (marks.is_usage_only(i)) continue;
    const std::string_view last = chunks[i];
    return has_string_member(last, "\"finish_reason\"") || has_string_member(last, "\"type\"", "message_stop\"") ||
           has_string_member(last, "\"type\"", "response.completed\"");
  }
  return false;
}

}  // namespace switchyard::cache
