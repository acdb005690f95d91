#include "providers/anthropic_inbound.hpp"

#include <boost/json.hpp>

#include "error/error_response.hpp"

namespace switchyard::providers {

namespace json = boost::json;

namespace {

Error bad(std::string m) { return make_error(errc::invalid_request, std::move(m)); }

std::string_view stop_reason_of(std::string_view finish) {
  if (finish == "length") return "max_tokens";
  if (finish == "tool_calls" || finish == "function_call") return "tool_use";
  if (finish == "content_filter") return "refusal";
  return "end_turn";
}

std::string_view error_type_of(int status) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503:
    case 529: return "overloaded_error";
    default: return "api_error";
  }
}

std::int64_t int_of(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_int64() ? v->as_int64() : 0;
}

}  // namespace

std::string anthropic_error_body(int status, std::string_view message) {
  return json::serialize(json::object{{"type", "error"}, {"error", json::object{{"type", error_type_of(status)}, {"message", message}}}});
}

namespace {

// Anthropic's top-level system prompt (a string or text blocks) as one system message.
void add_system(const json::object& in, json::array& messages) {
  const auto* system = in.if_contains("system");
  if (!system) return;
  std::string text;
  if (system->is_string()) text = std::string(system->as_string());
  else if (system->is_array()) {
    for (const auto& b : system->as_array()) {
      if (!text.empty()) text += "\n";
      text += std::string_view(b.at("text").as_string());
    }
  }
  if (!text.empty()) messages.push_back(json::object{{"role", "system"}, {"content", text}});
}

std::string tool_result_text(const json::object& b) {
  std::string text;
  const auto* c = b.if_contains("content");
  if (!c) return text;
  if (c->is_string()) return std::string(c->as_string());
  if (c->is_array()) {
    for (const auto& p : c->as_array()) {
      if (const auto* t = p.as_object().if_contains("text")) text += std::string_view(t->as_string());
    }
  }
  return text;
}

// One Messages message: text and image blocks become content parts, tool_use
// blocks tool_calls, tool_result blocks "tool" messages of their own.
void add_message(const json::object& m, json::array& messages) {
  const auto role = m.at("role").as_string();
  const auto& content = m.at("content");
  if (content.is_string()) {
    messages.push_back(json::object{{"role", role}, {"content", content}});
    return;
  }
  json::array parts, tool_calls;
  for (const auto& bv : content.as_array()) {
    const auto& b = bv.as_object();
    const auto type = b.at("type").as_string();
    if (type == "text") {
      parts.push_back(json::object{{"type", "text"}, {"text", b.at("text")}});
    } else if (type == "image") {
      const auto& src = b.at("source").as_object();
      std::string url = src.at("type").as_string() == "base64"
                            ? "data:" + std::string(src.at("media_type").as_string()) + ";base64," + std::string(src.at("data").as_string())
                            : std::string(src.at("url").as_string());
      parts.push_back(json::object{{"type", "image_url"}, {"image_url", json::object{{"url", url}}}});
    } else if (type == "tool_use") {
      tool_calls.push_back(json::object{{"id", b.at("id")}, {"type", "function"},
                                        {"function", json::object{{"name", b.at("name")}, {"arguments", json::serialize(b.at("input"))}}}});
    } else if (type == "tool_result") {
      messages.push_back(json::object{{"role", "tool"}, {"tool_call_id", b.at("tool_use_id")}, {"content", tool_result_text(b)}});
    }
  }
  if (parts.empty() && tool_calls.empty()) return;
  json::object msg{{"role", role}};
  if (parts.size() == 1 && parts[0].as_object().at("type").as_string() == "text") msg["content"] = parts[0].as_object().at("text");
  else msg["content"] = parts.empty() ? json::value(nullptr) : json::value(std::move(parts));
  if (!tool_calls.empty()) msg["tool_calls"] = std::move(tool_calls);
  messages.push_back(std::move(msg));
}

void add_tools(const json::object& in, json::object& out) {
  if (const auto* tools = in.if_contains("tools"); tools && tools->is_array()) {
    json::array t;
    for (const auto& tv : tools->as_array()) {
      const auto& tool = tv.as_object();
      json::object fn{{"name", tool.at("name")}, {"parameters", tool.contains("input_schema") ? tool.at("input_schema") : json::value(json::object{})}};
      if (const auto* d = tool.if_contains("description")) fn["description"] = *d;
      t.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
    }
    out["tools"] = std::move(t);
  }
  if (const auto* tc = in.if_contains("tool_choice"); tc && tc->is_object()) {
    const auto type = tc->as_object().at("type").as_string();
    if (type == "auto") out["tool_choice"] = "auto";
    else if (type == "any") out["tool_choice"] = "required";
    else if (type == "none") out["tool_choice"] = "none";
    else if (type == "tool") out["tool_choice"] = json::object{{"type", "function"}, {"function", json::object{{"name", tc->as_object().at("name")}}}};
    if (const auto* one = tc->as_object().if_contains("disable_parallel_tool_use"); one && one->is_bool() && one->as_bool()) {
      out["parallel_tool_calls"] = false;
    }
  }
}

}  // namespace

result<json::object> anthropic_request_to_openai(const json::object& in) {
  try {
    json::object out;
    const auto* model = in.if_contains("model");
    if (!model || !model->is_string()) return bad("'model' is required and must be a string");
    out["model"] = *model;
    const auto* max_tokens = in.if_contains("max_tokens");
    if (!max_tokens || !max_tokens->is_int64()) return bad("'max_tokens' is required and must be an integer");
    out["max_tokens"] = *max_tokens;
    json::array messages;
    add_system(in, messages);
    const auto* msgs = in.if_contains("messages");
    if (!msgs || !msgs->is_array() || msgs->as_array().empty()) return bad("'messages' is required and must be a non-empty array");
    for (const auto& mv : msgs->as_array()) add_message(mv.as_object(), messages);
    out["messages"] = std::move(messages);
    for (const char* k : {"temperature", "top_p"}) {
      if (const auto* v = in.if_contains(k)) out[k] = *v;
    }
    if (const auto* s = in.if_contains("stop_sequences")) out["stop"] = *s;
    add_tools(in, out);
    // metadata.user_id is OpenAI's end-user id; top_k and thinking have no OpenAI equivalent and are dropped.
    if (const auto* meta = in.if_contains("metadata"); meta && meta->is_object()) {
      if (const auto* user = meta->as_object().if_contains("user_id"); user && user->is_string()) out["user"] = *user;
    }
    if (const auto* s = in.if_contains("stream"); s && s->is_bool() && s->as_bool()) {
      out["stream"] = true;
      out["stream_options"] = json::object{{"include_usage", true}};  // usage for message_delta
    }
    return out;
  } catch (const std::exception&) {
    return bad("the request does not have the shape of a Messages request (messages, content blocks, tools)");
  }
}

result<std::string> openai_response_to_anthropic(std::string_view body, std::string_view requested_model) {
  try {
    const auto v = json::parse(body).as_object();
    const auto& choice = v.at("choices").as_array().at(0).as_object();
    const auto& msg = choice.at("message").as_object();
    json::array content;
    if (const auto* c = msg.if_contains("content"); c && c->is_string() && !c->as_string().empty()) {
      content.push_back(json::object{{"type", "text"}, {"text", *c}});
    }
    if (const auto* calls = msg.if_contains("tool_calls"); calls && calls->is_array()) {
      for (const auto& cv : calls->as_array()) {
        const auto& fn = cv.at("function").as_object();
        json::value input = json::object{};
        if (const auto& args = fn.at("arguments").as_string(); !args.empty()) input = json::parse(args);
        content.push_back(json::object{{"type", "tool_use"}, {"id", cv.at("id")}, {"name", fn.at("name")}, {"input", std::move(input)}});
      }
    }
    std::string_view finish = choice.at("finish_reason").is_string() ? std::string_view(choice.at("finish_reason").as_string()) : "stop";
    json::object usage{{"input_tokens", 0}, {"output_tokens", 0}};
    if (const auto* u = v.if_contains("usage"); u && u->is_object()) {
      usage["input_tokens"] = int_of(u->as_object(), "prompt_tokens");
      usage["output_tokens"] = int_of(u->as_object(), "completion_tokens");
    }
    json::object out{{"id", v.contains("id") ? v.at("id") : json::value("msg_switchyard")},
                     {"type", "message"}, {"role", "assistant"}, {"model", requested_model},
                     {"content", std::move(content)}, {"stop_reason", stop_reason_of(finish)},
                     {"stop_sequence", nullptr}, {"usage", std::move(usage)}};
    return json::serialize(out);
  } catch (const std::exception&) {
    return make_error(errc::upstream_bad_response, "sent a completion that could not be translated to a Messages response");
  }
}

void OpenAiToAnthropicStream::event(std::string& out, std::string_view name, const json::object& data) {
  out += "event: ";
  out += name;
  out += "\ndata: ";
  out += json::serialize(data);
  out += "\n\n";
}

void OpenAiToAnthropicStream::start(std::string& out, std::string_view id) {
  started_ = true;
  event(out, "message_start", json::object{{"type", "message_start"},
                                           {"message", json::object{{"id", id}, {"type", "message"}, {"role", "assistant"},
                                                                    {"content", json::array{}}, {"model", model_},
                                                                    {"stop_reason", nullptr}, {"stop_sequence", nullptr},
                                                                    {"usage", json::object{{"input_tokens", 0}, {"output_tokens", 0}}}}}});
}

void OpenAiToAnthropicStream::close_block(std::string& out) {
  if (block_ < 0) return;
  event(out, "content_block_stop", json::object{{"type", "content_block_stop"}, {"index", block_}});
  block_ = -1;
  block_is_tool_ = false;
}

result<void> OpenAiToAnthropicStream::on_chunk(std::string_view chunk_json, std::string& out) {
  // Upstream data is never trusted to have the shape of a chunk: anything
  // malformed ends the stream with an error event, never an exception.
  const auto size_before = out.size();
  try {
    if (translate_chunk(chunk_json, out)) return {};
  } catch (const std::exception&) {
  }
  out.resize(size_before);
  return make_error(errc::upstream_bad_response, "sent a stream chunk that does not have the chat.completion.chunk shape");
}

bool OpenAiToAnthropicStream::translate_chunk(std::string_view chunk_json, std::string& out) {
  boost::system::error_code ec;
  auto v = json::parse(chunk_json, ec);
  if (ec || !v.is_object()) return false;
  const auto& c = v.as_object();
  if (!started_) start(out, c.contains("id") && c.at("id").is_string() ? std::string_view(c.at("id").as_string()) : "msg_switchyard");
  if (const auto* u = c.if_contains("usage"); u && u->is_object()) {
    input_tokens_ = int_of(u->as_object(), "prompt_tokens");
    output_tokens_ = int_of(u->as_object(), "completion_tokens");
  }
  const auto* choices = c.if_contains("choices");
  if (!choices) return true;  // e.g. a usage-only chunk
  if (!choices->is_array()) return false;
  if (choices->as_array().empty()) return true;  // the usage chunk
  if (!choices->as_array()[0].is_object()) return false;
  const auto& choice = choices->as_array()[0].as_object();
  if (const auto* d = choice.if_contains("delta"); d && d->is_object()) {
    const auto& delta = d->as_object();
    if (const auto* text = delta.if_contains("content"); text && text->is_string() && !text->as_string().empty()) {
      if (block_ < 0 || block_is_tool_) {
        close_block(out);
        block_ = next_block_++;
        event(out, "content_block_start", json::object{{"type", "content_block_start"}, {"index", block_}, {"content_block", json::object{{"type", "text"}, {"text", ""}}}});
      }
      event(out, "content_block_delta", json::object{{"type", "content_block_delta"}, {"index", block_}, {"delta", json::object{{"type", "text_delta"}, {"text", *text}}}});
    }
    if (const auto* calls = delta.if_contains("tool_calls"); calls && calls->is_array()) {
      for (const auto& cv : calls->as_array()) {
        if (!cv.is_object()) return false;
        const auto& call = cv.as_object();
        const auto index = int_of(call, "index");
        const auto* fn = call.if_contains("function");
        if (call.contains("id") || !block_is_tool_ || index != tool_index_) {
          close_block(out);
          block_ = next_block_++;
          block_is_tool_ = true;
          tool_index_ = index;
          const auto* name = fn && fn->is_object() ? fn->as_object().if_contains("name") : nullptr;
          event(out, "content_block_start", json::object{{"type", "content_block_start"}, {"index", block_},
                                                         {"content_block", json::object{{"type", "tool_use"}, {"id", call.contains("id") ? call.at("id") : json::value("toolu")},
                                                                                        {"name", name ? *name : json::value("")}, {"input", json::object{}}}}});
        }
        if (fn && fn->is_object()) {
          if (const auto* args = fn->as_object().if_contains("arguments"); args && args->is_string() && !args->as_string().empty()) {
            event(out, "content_block_delta", json::object{{"type", "content_block_delta"}, {"index", block_},
                                                           {"delta", json::object{{"type", "input_json_delta"}, {"partial_json", *args}}}});
          }
        }
      }
    }
  }
  if (const auto* f = choice.if_contains("finish_reason"); f && f->is_string()) {
    stop_reason_ = std::string(stop_reason_of(f->as_string()));
    close_block(out);
  }
  return true;
}

void OpenAiToAnthropicStream::on_end(std::string& out) {
  if (!started_) start(out, "msg_switchyard");
  close_block(out);
  event(out, "message_delta", json::object{{"type", "message_delta"}, {"delta", json::object{{"stop_reason", stop_reason_}, {"stop_sequence", nullptr}}},
                                           {"usage", json::object{{"input_tokens", input_tokens_}, {"output_tokens", output_tokens_}}}});
  event(out, "message_stop", json::object{{"type", "message_stop"}});
}

void OpenAiToAnthropicStream::on_error(const Error& e, std::string& out) {
  const int status = error::http_status_of(e);
  std::string message = e.provider.empty() ? e.message : "provider '" + e.provider + "': " + e.message;
  event(out, "error", json::parse(anthropic_error_body(status, message)).as_object());
}

}  // namespace switchyard::providers
