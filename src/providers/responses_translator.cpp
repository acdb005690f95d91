#include "providers/responses_translator.hpp"

#include <boost/json.hpp>

#include <chrono>

#include "providers/openai_usage.hpp"

namespace switchyard::providers {

namespace json = boost::json;

namespace {

Error bad(std::string m) { return make_error(errc::invalid_request, std::move(m)); }

std::string_view str_or(const json::object& o, std::string_view key, std::string_view fallback = {}) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : fallback;
}

std::int64_t int_or(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

// Message content: a string, or parts (input_text / output_text / input_image / refusal) as chat parts.
result<json::value> chat_content(const json::value& content) {
  if (content.is_string()) return json::value(content.as_string());
  if (!content.is_array()) return bad("a message's content must be a string or an array of parts");
  json::array parts;
  bool only_text = true;
  std::string text;
  for (const auto& pv : content.as_array()) {
    if (!pv.is_object()) return bad("message content parts must be objects");
    const auto& p = pv.as_object();
    const auto type = str_or(p, "type");
    if (type == "input_text" || type == "output_text" || type == "text") {
      const auto* t = p.if_contains("text");
      if (!t || !t->is_string()) return bad("a text part needs 'text'");
      parts.push_back(json::object{{"type", "text"}, {"text", *t}});
      text += t->as_string();
    } else if (type == "refusal") {
      parts.push_back(json::object{{"type", "text"}, {"text", str_or(p, "refusal")}});
      text += str_or(p, "refusal");
    } else if (type == "input_image") {
      const auto url = str_or(p, "image_url");
      if (url.empty()) return bad("input_image needs an image_url (file_id needs the provider's own file store)");
      json::object image{{"url", url}};
      if (const auto d = str_or(p, "detail"); !d.empty() && d != "original") image["detail"] = d;
      parts.push_back(json::object{{"type", "image_url"}, {"image_url", std::move(image)}});
      only_text = false;
    } else {
      return bad("content part type '" + std::string(type) + "' is not supported by the translated Responses path");
    }
  }
  if (only_text) return json::value(json::string(text));  // one string: every provider takes it
  return json::value(std::move(parts));
}

// function_call_output's output: a string, or parts whose text is joined.
std::string output_text(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  std::string out;
  if (v.is_array()) {
    for (const auto& p : v.as_array()) {
      if (p.is_object()) out += str_or(p.as_object(), "text");
    }
    return out;
  }
  return json::serialize(v);
}

}  // namespace

namespace {

// Input items as chat messages (appended to `messages`).
result<void> add_input_items(const json::array& items, json::array& messages) {
  json::object* open_calls = nullptr;  // the assistant message that collects consecutive function_calls
  for (const auto& iv : items) {
    if (!iv.is_object()) return bad("'input' items must be objects");
    const auto& item = iv.as_object();
    const auto type = str_or(item, "type", "message");
    if (type == "message") {
      auto role = str_or(item, "role");
      if (role != "user" && role != "assistant" && role != "system" && role != "developer") {
        return bad("a message's role must be user, assistant, system or developer");
      }
      if (role == "developer") role = "system";  // every provider knows system
      const auto* content = item.if_contains("content");
      if (!content) return bad("a message needs 'content'");
      auto c = chat_content(*content);
      if (!c) return c.error();
      messages.push_back(json::object{{"role", role}, {"content", std::move(*c)}});
      open_calls = nullptr;
    } else if (type == "function_call" || type == "custom_tool_call") {
      const auto call_id = str_or(item, "call_id");
      const auto name = str_or(item, "name");
      if (call_id.empty() || name.empty()) return bad("a " + std::string(type) + " item needs call_id and name");
      const std::string arguments = type == "function_call" ? std::string(str_or(item, "arguments", "{}"))
                                                            : json::serialize(json::object{{"input", str_or(item, "input")}});
      json::object call{{"id", call_id}, {"type", "function"}, {"function", json::object{{"name", name}, {"arguments", arguments}}}};
      if (!open_calls) {
        // Calls right after an assistant message belong to it.
        if (!messages.empty() && messages.back().as_object().at("role") == "assistant" &&
            !messages.back().as_object().contains("tool_calls")) {
          open_calls = &messages.back().as_object();
        } else {
          messages.push_back(json::object{{"role", "assistant"}, {"content", nullptr}});
          open_calls = &messages.back().as_object();
        }
        (*open_calls)["tool_calls"] = json::array();
      }
      (*open_calls)["tool_calls"].as_array().push_back(std::move(call));
    } else if (type == "function_call_output" || type == "custom_tool_call_output") {
      const auto call_id = str_or(item, "call_id");
      if (call_id.empty()) return bad("a " + std::string(type) + " item needs call_id");
      const auto* output = item.if_contains("output");
      messages.push_back(json::object{{"role", "tool"}, {"tool_call_id", call_id}, {"content", output ? output_text(*output) : std::string()}});
      open_calls = nullptr;
    } else if (type == "reasoning" || type == "item_reference") {
      continue;  // reasoning is the provider's own; nothing to send elsewhere
    } else {
      return bad("input item type '" + std::string(type) + "' is not supported by the translated Responses path");
    }
  }
  return {};
}

// Function and custom tools as chat tools (hosted tools dropped).
void add_tools(const json::object& in, json::object& out) {
  if (const auto* tools = in.if_contains("tools"); tools && tools->is_array()) {
    json::array t;
    for (const auto& tv : tools->as_array()) {
      if (!tv.is_object()) continue;
      const auto& tool = tv.as_object();
      const auto tool_type = str_or(tool, "type");
      if (tool_type == "custom") {  // freeform input: one string argument
        std::string description(str_or(tool, "description"));
        description += description.empty() ? "" : " ";
        description += "(Freeform: put the whole input text in the `input` string.)";
        t.push_back(json::object{{"type", "function"},
                                 {"function", json::object{{"name", str_or(tool, "name")}, {"description", description},
                                                           {"parameters", json::object{{"type", "object"},
                                                                                       {"properties", json::object{{"input", json::object{{"type", "string"}}}}},
                                                                                       {"required", json::array{"input"}}}}}}});
        continue;
      }
      if (tool_type != "function") continue;  // hosted tools run only at OpenAI
      json::object fn{{"name", str_or(tool, "name")}};
      if (const auto* d = tool.if_contains("description"); d && d->is_string()) fn["description"] = *d;
      fn["parameters"] = tool.contains("parameters") && tool.at("parameters").is_object() ? tool.at("parameters") : json::value(json::object{});
      if (const auto* s = tool.if_contains("strict"); s && s->is_bool()) fn["strict"] = *s;
      t.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
    }
    if (!t.empty()) out["tools"] = std::move(t);
  }
}

// tool_choice, parallel_tool_calls, max_output_tokens, sampling, text.format and reasoning.effort.
void add_options(const json::object& in, json::object& out) {
  if (const auto* tc = in.if_contains("tool_choice"); tc && out.contains("tools")) {
    if (tc->is_string()) {
      out["tool_choice"] = *tc;
    } else if (tc->is_object() && (str_or(tc->as_object(), "type") == "function" || str_or(tc->as_object(), "type") == "custom")) {
      out["tool_choice"] = json::object{{"type", "function"}, {"function", json::object{{"name", str_or(tc->as_object(), "name")}}}};
    }
  }
  if (const auto* p = in.if_contains("parallel_tool_calls"); p && p->is_bool() && out.contains("tools")) out["parallel_tool_calls"] = *p;
  if (const auto* m = in.if_contains("max_output_tokens"); m && m->is_int64()) out["max_tokens"] = *m;
  for (const char* k : {"temperature", "top_p"}) {
    if (const auto* v = in.if_contains(k); v && v->is_number()) out[k] = *v;
  }
  if (const auto* text = in.if_contains("text"); text && text->is_object()) {
    if (const auto* f = text->as_object().if_contains("format"); f && f->is_object()) {
      const auto& fo = f->as_object();
      const auto type = str_or(fo, "type");
      if (type == "json_object") {
        out["response_format"] = json::object{{"type", "json_object"}};
      } else if (type == "json_schema") {
        json::object schema{{"name", str_or(fo, "name", "output")}};
        if (const auto* s = fo.if_contains("schema")) schema["schema"] = *s;
        if (const auto* s = fo.if_contains("strict"); s && s->is_bool()) schema["strict"] = *s;
        if (const auto* d = fo.if_contains("description"); d && d->is_string()) schema["description"] = *d;
        out["response_format"] = json::object{{"type", "json_schema"}, {"json_schema", std::move(schema)}};
      }
    }
  }
  if (const auto* r = in.if_contains("reasoning"); r && r->is_object()) {
    if (const auto e = str_or(r->as_object(), "effort"); !e.empty()) out["reasoning_effort"] = e;
  }
}

}  // namespace

result<json::object> responses_request_to_chat(const json::object& in) {
  try {
    if (const auto* prev = in.if_contains("previous_response_id"); prev && !prev->is_null()) {
      return bad("previous_response_id is not supported: the gateway keeps no conversation state; send the whole conversation in 'input' (as Codex does with store: false)");
    }
    if (const auto* bg = in.if_contains("background"); bg && bg->is_bool() && bg->as_bool()) {
      return bad("background is not supported: the gateway is stateless and accounts an answer when it ends, but a background "
                 "response is answered 'queued' (no usage) while the provider goes on generating and billing; send the request "
                 "without background (streamed, if it is long)");
    }
    if (const auto* conv = in.if_contains("conversation"); conv && !conv->is_null()) {
      return bad("conversation is not supported: the gateway keeps no conversation state; send the whole conversation in 'input'");
    }
    const auto* model = in.if_contains("model");
    if (!model || !model->is_string()) return bad("'model' is required and must be a string");
    json::object out;
    out["model"] = *model;
    json::array messages;
    if (const auto* ins = in.if_contains("instructions"); ins && ins->is_string() && !ins->as_string().empty()) {
      messages.push_back(json::object{{"role", "system"}, {"content", *ins}});
    }
    const auto* input = in.if_contains("input");
    if (!input) return bad("'input' is required: a string or an array of items");
    if (input->is_string()) {
      messages.push_back(json::object{{"role", "user"}, {"content", *input}});
    } else if (input->is_array()) {
      if (auto ok = add_input_items(input->as_array(), messages); !ok) return ok.error();
    } else {
      return bad("'input' must be a string or an array of items");
    }
    if (messages.empty()) return bad("'input' has no message");
    out["messages"] = std::move(messages);
    add_tools(in, out);
    add_options(in, out);
    if (const auto* s = in.if_contains("stream"); s && s->is_bool() && s->as_bool()) {
      out["stream"] = true;
      out["stream_options"] = json::object{{"include_usage", true}};
    }
    return out;
  } catch (const std::exception&) {
    return bad("the request does not have the shape of a Responses request");
  }
}

ResponsesEcho ResponsesEcho::of(const json::object& request, std::string_view id_suffix) {
  ResponsesEcho e;
  e.id = "resp_" + std::string(id_suffix);
  e.model = std::string(str_or(request, "model"));
  auto echo = [&](const char* key, json::value fallback) {
    const auto* v = request.if_contains(key);
    e.settings[key] = v ? *v : fallback;
  };
  echo("instructions", nullptr);
  echo("max_output_tokens", nullptr);
  echo("metadata", json::object{});
  echo("parallel_tool_calls", true);
  echo("reasoning", json::object{{"effort", nullptr}, {"summary", nullptr}});
  echo("temperature", 1.0);
  echo("text", json::object{{"format", json::object{{"type", "text"}}}});
  echo("tool_choice", "auto");
  echo("tools", json::array{});
  echo("top_p", 1.0);
  if (const auto* tools = request.if_contains("tools"); tools && tools->is_array()) {
    for (const auto& t : tools->as_array()) {
      if (t.is_object() && str_or(t.as_object(), "type") == "custom") e.custom_tools.emplace_back(str_or(t.as_object(), "name"));
    }
  }
  e.settings["previous_response_id"] = nullptr;
  e.settings["store"] = false;  // stateless: nothing is stored, whatever was asked
  e.settings["truncation"] = "disabled";
  return e;
}

bool ResponsesEcho::is_custom(std::string_view tool) const {
  for (const auto& c : custom_tools) {
    if (c == tool) return true;
  }
  return false;
}

namespace {

// A custom tool's input: the "input" string of the function's JSON arguments (the arguments as they are if not).
std::string custom_input(std::string_view arguments) {
  boost::system::error_code ec;
  const auto v = json::parse(arguments, ec);
  if (!ec && v.is_object()) {
    if (const auto* in = v.as_object().if_contains("input"); in && in->is_string()) return std::string(in->as_string());
  }
  return std::string(arguments);
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json::object usage_json(const Usage& u) {
  return json::object{{"input_tokens", u.prompt_tokens},
                      {"input_tokens_details", json::object{{"cached_tokens", u.cached_tokens}}},
                      {"output_tokens", u.completion_tokens},
                      {"output_tokens_details", json::object{{"reasoning_tokens", u.reasoning_tokens}}},
                      {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

// finish_reason → (status, incomplete reason)
std::pair<std::string_view, std::string_view> status_of(std::string_view finish) {
  if (finish == "length") return {"incomplete", "max_output_tokens"};
  if (finish == "content_filter") return {"incomplete", "content_filter"};
  return {"completed", {}};
}

json::object base_response(const ResponsesEcho& echo, std::string_view status, std::int64_t created) {
  json::object r{{"id", echo.id}, {"object", "response"}, {"created_at", created}, {"status", status},
                 {"error", nullptr}, {"incomplete_details", nullptr}, {"model", echo.model}, {"output", json::array{}}};
  for (const auto& kv : echo.settings) r[kv.key()] = kv.value();
  r["usage"] = nullptr;
  return r;
}

std::string suffix_of(const std::string& id) { return id.size() > 5 ? id.substr(5) : id; }

}  // namespace

result<std::string> chat_response_to_responses(std::string_view chat_body, const ResponsesEcho& echo) {
  boost::system::error_code ec;
  auto v = json::parse(chat_body, ec);
  if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "sent a completion that is not JSON");
  try {
    const auto& c = v.as_object();
    const auto& choices = c.at("choices").as_array();
    json::array output;
    std::string finish;
    if (!choices.empty()) {
      const auto& choice = choices[0].as_object();
      finish = std::string(str_or(choice, "finish_reason"));
      const auto& msg = choice.at("message").as_object();
      const auto* content = msg.if_contains("content");
      std::string text;
      if (content && content->is_string()) text = std::string(content->as_string());
      if (!text.empty() || !msg.contains("tool_calls")) {
        output.push_back(json::object{{"id", "msg_" + suffix_of(echo.id)}, {"type", "message"}, {"status", "completed"}, {"role", "assistant"},
                                      {"content", json::array{json::object{{"type", "output_text"}, {"annotations", json::array{}}, {"text", text}}}}});
      }
      if (const auto* calls = msg.if_contains("tool_calls"); calls && calls->is_array()) {
        int i = 0;
        for (const auto& cv : calls->as_array()) {
          const auto& call = cv.as_object();
          const auto& fn = call.at("function").as_object();
          const auto name = str_or(fn, "name");
          if (echo.is_custom(name)) {
            output.push_back(json::object{{"id", "ctc_" + suffix_of(echo.id) + "_" + std::to_string(i++)}, {"type", "custom_tool_call"},
                                          {"status", "completed"}, {"call_id", str_or(call, "id")}, {"name", name},
                                          {"input", custom_input(str_or(fn, "arguments"))}});
            continue;
          }
          output.push_back(json::object{{"id", "fc_" + suffix_of(echo.id) + "_" + std::to_string(i++)}, {"type", "function_call"},
                                        {"status", "completed"}, {"arguments", str_or(fn, "arguments", "{}")},
                                        {"call_id", str_or(call, "id")}, {"name", name}});
        }
      }
    }
    const auto [status, reason] = status_of(finish);
    std::int64_t created = int_or(c, "created");
    auto r = base_response(echo, status, created ? created : now_seconds());
    if (!reason.empty()) r["incomplete_details"] = json::object{{"reason", reason}};
    r["output"] = std::move(output);
    Usage u;
    if (const auto* uv = c.if_contains("usage"); uv && uv->is_object()) u = usage_from_openai(uv->as_object());
    r["usage"] = usage_json(u);
    return json::serialize(r);
  } catch (const std::exception&) {
    return make_error(errc::upstream_bad_response, "sent a completion that could not be translated to a Responses response");
  }
}

void ChatToResponsesStream::event(std::string& out, std::string_view type, json::object data) {
  data["type"] = type;
  data["sequence_number"] = seq_++;
  out += "event: ";
  out += type;
  out += "\ndata: ";
  out += json::serialize(data);
  out += "\n\n";
}

json::object ChatToResponsesStream::response_object(std::string_view status) const {
  auto r = base_response(echo_, status, now_seconds());
  if (status != "in_progress") {
    json::array output;
    for (const auto& item : items_) output.push_back(item_json(item, true));
    r["output"] = std::move(output);
    r["usage"] = usage_json(usage_);
  }
  return r;
}

json::object ChatToResponsesStream::item_json(const Item& item, bool done) const {
  const std::string_view status = done ? "completed" : "in_progress";
  if (item.custom) {
    return json::object{{"id", item.id}, {"type", "custom_tool_call"}, {"status", status}, {"call_id", item.call_id}, {"name", item.name},
                        {"input", done ? custom_input(item.text) : std::string()}};
  }
  if (item.tool) {
    return json::object{{"id", item.id}, {"type", "function_call"}, {"status", status}, {"arguments", done ? item.text : std::string()},
                        {"call_id", item.call_id}, {"name", item.name}};
  }
  json::array content;
  if (done) content.push_back(json::object{{"type", "output_text"}, {"annotations", json::array{}}, {"text", item.text}});
  return json::object{{"id", item.id}, {"type", "message"}, {"status", status}, {"role", "assistant"}, {"content", std::move(content)}};
}

void ChatToResponsesStream::start(std::string& out) {
  if (started_) return;
  started_ = true;
  event(out, "response.created", json::object{{"response", response_object("in_progress")}});
  event(out, "response.in_progress", json::object{{"response", response_object("in_progress")}});
}

void ChatToResponsesStream::close_items(std::string& out) {
  for (std::size_t i = 0; i < items_.size(); ++i) {
    auto& item = items_[i];
    if (!item.open) continue;
    item.open = false;
    const auto index = static_cast<std::int64_t>(i);
    if (item.custom) {  // the input is known whole only now: one delta, then done
      const std::string input = custom_input(item.text);
      event(out, "response.custom_tool_call_input.delta", json::object{{"item_id", item.id}, {"output_index", index}, {"delta", input}});
      event(out, "response.custom_tool_call_input.done", json::object{{"item_id", item.id}, {"output_index", index}, {"input", input}});
    } else if (item.tool) {
      event(out, "response.function_call_arguments.done", json::object{{"item_id", item.id}, {"output_index", index}, {"arguments", item.text}, {"name", item.name}});
    } else {
      event(out, "response.output_text.done", json::object{{"item_id", item.id}, {"output_index", index}, {"content_index", 0}, {"text", item.text}});
      event(out, "response.content_part.done",
            json::object{{"item_id", item.id}, {"output_index", index}, {"content_index", 0},
                         {"part", json::object{{"type", "output_text"}, {"annotations", json::array{}}, {"text", item.text}}}});
    }
    event(out, "response.output_item.done", json::object{{"output_index", index}, {"item", item_json(item, true)}});
  }
  text_item_ = -1;
}

namespace {
Error too_long() {
  return make_error(errc::upstream_bad_response,
                    "sent an answer longer than " + std::to_string(ChatToResponsesStream::kMaxAssembled / (1024 * 1024)) + " MiB");
}
}  // namespace

result<void> ChatToResponsesStream::on_chunk(std::string_view chunk_json, std::string& out) {
  boost::system::error_code ec;
  auto v = json::parse(chunk_json, ec);
  if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "sent a stream chunk that is not JSON");
  const auto& c = v.as_object();
  start(out);
  if (const auto* u = c.if_contains("usage"); u && u->is_object()) {
    usage_ = usage_from_openai(u->as_object());
    has_usage_ = true;
  }
  const auto* choices = c.if_contains("choices");
  if (!choices || !choices->is_array() || choices->as_array().empty()) return {};  // usage or annotation chunks
  if (!choices->as_array()[0].is_object()) return make_error(errc::upstream_bad_response, "sent a stream chunk whose choices are not objects");
  const auto& choice = choices->as_array()[0].as_object();
  if (const auto* d = choice.if_contains("delta"); d && d->is_object()) {
    const auto& delta = d->as_object();
    if (const auto* t = delta.if_contains("content"); t && t->is_string() && !t->as_string().empty()) {
      if (text_item_ < 0) {
        Item item;
        item.id = "msg_" + suffix_of(echo_.id) + (items_.empty() ? "" : "_" + std::to_string(items_.size()));
        items_.push_back(std::move(item));
        text_item_ = static_cast<int>(items_.size() - 1);
        const auto index = static_cast<std::int64_t>(text_item_);
        event(out, "response.output_item.added", json::object{{"output_index", index}, {"item", item_json(items_.back(), false)}});
        event(out, "response.content_part.added",
              json::object{{"item_id", items_.back().id}, {"output_index", index}, {"content_index", 0},
                           {"part", json::object{{"type", "output_text"}, {"annotations", json::array{}}, {"text", ""}}}});
      }
      auto& item = items_[static_cast<std::size_t>(text_item_)];
      if ((assembled_ += t->as_string().size()) > kMaxAssembled) return too_long();
      item.text += t->as_string();
      event(out, "response.output_text.delta", json::object{{"item_id", item.id}, {"output_index", text_item_}, {"content_index", 0},
                                                            {"delta", t->as_string()}, {"logprobs", json::array{}}});
    }
    if (const auto* calls = delta.if_contains("tool_calls"); calls && calls->is_array()) {
      for (const auto& cv : calls->as_array()) {
        if (!cv.is_object()) return make_error(errc::upstream_bad_response, "sent a tool call that is not an object");
        const auto& call = cv.as_object();
        const auto idx = int_or(call, "index");
        if (idx < 0 || idx > 1000) return make_error(errc::upstream_bad_response, "sent a tool call index out of range");
        static const json::object kNone;
        const auto* fn = call.if_contains("function");
        const auto& fo = fn && fn->is_object() ? fn->as_object() : kNone;
        if (static_cast<std::size_t>(idx) >= tool_items_.size()) tool_items_.resize(static_cast<std::size_t>(idx) + 1, -1);
        auto& slot = tool_items_[static_cast<std::size_t>(idx)];
        if (slot < 0) {
          if (text_item_ >= 0) close_items(out);  // the text before the calls is complete
          Item item;
          item.tool = true;
          item.name = std::string(str_or(fo, "name"));
          item.custom = echo_.is_custom(item.name);
          item.id = (item.custom ? "ctc_" : "fc_") + suffix_of(echo_.id) + "_" + std::to_string(idx);
          item.call_id = std::string(str_or(call, "id", item.id));
          items_.push_back(std::move(item));
          slot = static_cast<int>(items_.size() - 1);
          event(out, "response.output_item.added", json::object{{"output_index", slot}, {"item", item_json(items_.back(), false)}});
        }
        auto& item = items_[static_cast<std::size_t>(slot)];
        if (const auto args = str_or(fo, "arguments"); !args.empty()) {
          if ((assembled_ += args.size()) > kMaxAssembled) return too_long();
          item.text += args;
          if (!item.custom) event(out, "response.function_call_arguments.delta", json::object{{"item_id", item.id}, {"output_index", slot}, {"delta", args}});
        }
      }
    }
  }
  if (const auto f = str_or(choice, "finish_reason"); !f.empty()) finish_ = std::string(f);
  return {};
}

void ChatToResponsesStream::on_end(std::string& out) {
  start(out);
  close_items(out);
  const auto [status, reason] = status_of(finish_);
  auto r = response_object(status);
  if (!reason.empty()) r["incomplete_details"] = json::object{{"reason", reason}};
  event(out, status == "completed" ? "response.completed" : "response.incomplete", json::object{{"response", std::move(r)}});
}

void ChatToResponsesStream::on_error(const Error& e, std::string& out) {
  start(out);
  const std::string message = (e.provider.empty() ? "" : "provider '" + e.provider + "': ") + e.message;
  const std::string_view code = e.upstream_status == 429 ? "rate_limit_exceeded" : "server_error";
  event(out, "error", json::object{{"code", code}, {"message", message}, {"param", nullptr}});
  auto r = response_object("failed");
  r["error"] = json::object{{"code", code}, {"message", message}};
  event(out, "response.failed", json::object{{"response", std::move(r)}});
}

Usage responses_usage(const json::object& response) {
  Usage u;
  const auto* uv = response.if_contains("usage");
  if (!uv || !uv->is_object()) return u;
  const auto& o = uv->as_object();
  u.prompt_tokens = int_or(o, "input_tokens");
  u.completion_tokens = int_or(o, "output_tokens");
  if (const auto* d = o.if_contains("input_tokens_details"); d && d->is_object()) u.cached_tokens = int_or(d->as_object(), "cached_tokens");
  if (const auto* d = o.if_contains("output_tokens_details"); d && d->is_object()) u.reasoning_tokens = int_or(d->as_object(), "reasoning_tokens");
  u.reported = true;
  return u;
}

Usage responses_body_usage(std::string_view body) {
  boost::system::error_code ec;
  const auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return Usage{};
  return responses_usage(v.as_object());
}

result<void> ResponsesEvents::read(std::string_view event, std::string_view data, Usage& usage, bool& finished) const {
  if (event == "response.output_text.delta" || event == "response.function_call_arguments.delta") {
    if (!usage.reported) ++usage.completion_tokens;  // about a token each, until the provider's count
  } else if (event == "response.completed" || event == "response.incomplete" || event == "response.failed" || event == "error") {
    boost::system::error_code ec;
    const auto v = json::parse(data, ec);
    if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "sent an unparsable stream event");
    const auto& e = v.as_object();
    if (event == "error") {
      // {type:"error", code, message, param} or nested in "error"
      const auto* nested = e.if_contains("error");
      const auto& eo = nested && nested->is_object() ? nested->as_object() : e;
      Error err = make_error(errc::upstream_status, "failed mid-stream");
      const auto code = str_or(eo, "code");
      err.upstream_status = code == "rate_limit_exceeded" ? 429 : 500;
      if (const auto m = str_or(eo, "message"); !m.empty()) err.message += ": " + std::string(m);
      return err;
    }
    if (const auto* r = e.if_contains("response"); r && r->is_object()) usage = responses_usage(r->as_object());
    finished = true;
  }
  return {};
}

}  // namespace switchyard::providers
