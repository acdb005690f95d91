#include "providers/anthropic_translator.hpp"

#include <boost/json.hpp>

#include "providers/content_parts.hpp"
#include "providers/openai_usage.hpp"

namespace switchyard::providers {

namespace json = boost::json;

namespace {

Error bad_request(std::string message) { return make_error(errc::invalid_request, std::move(message)); }

// OpenAI content parts as Anthropic content blocks.
const PartWriter kBlocks{
    [](std::string_view text) -> json::value { return json::object{{"type", "text"}, {"text", text}}; },
    [](const DataUrl& image) -> json::value {
      return json::object{{"type", "image"}, {"source", json::object{{"type", "base64"}, {"media_type", image.media_type}, {"data", image.data}}}};
    },
    [](std::string_view url) -> json::value { return json::object{{"type", "image"}, {"source", json::object{{"type", "url"}, {"url", url}}}}; }};

std::int64_t int_or_zero(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

// OpenAI content parts that carried cache_control (the convention OpenRouter
// and LiteLLM accept) keep it on the Anthropic block each became.
void copy_cache_control(const json::value& content, json::array& blocks) {
  if (!content.is_array()) return;
  std::size_t k = 0;  // convert_parts writes one block per text or image part, in order
  for (const auto& pv : content.as_array()) {
    const auto* p = pv.is_object() ? &pv.as_object() : nullptr;
    if (!p) continue;
    const auto* type = p->if_contains("type");
    const bool text = type && *type == "text" && p->contains("text") && p->at("text").is_string();
    const bool image = type && *type == "image_url";
    if (!text && !image) continue;
    if (k >= blocks.size()) return;
    if (const auto* cc = p->if_contains("cache_control"); cc && blocks[k].is_object()) blocks[k].as_object()["cache_control"] = *cc;
    ++k;
  }
}

// System messages with a cache_control anywhere become Anthropic system
// blocks (one per part, the marks kept) instead of one joined string, so
// the prefix they mark stays cacheable. Empty when none is marked.
json::array cached_system_blocks(const json::object& in) {
  const auto* msgs = in.if_contains("messages");
  if (!msgs || !msgs->is_array()) return {};
  bool marked = false;
  json::array blocks;
  for (const auto& mv : msgs->as_array()) {
    if (!mv.is_object()) continue;
    const auto& m = mv.as_object();
    const auto* role = m.if_contains("role");
    if (!role || !(*role == "system" || *role == "developer")) continue;
    const auto* content = m.if_contains("content");
    if (!content) continue;
    if (content->is_string()) {
      json::object b{{"type", "text"}, {"text", *content}};
      if (const auto* cc = m.if_contains("cache_control")) {
        b["cache_control"] = *cc;
        marked = true;
      }
      blocks.push_back(std::move(b));
    } else if (content->is_array()) {
      for (const auto& pv : content->as_array()) {
        if (!pv.is_object() || !pv.as_object().contains("text") || !pv.as_object().at("text").is_string()) continue;
        json::object b{{"type", "text"}, {"text", pv.as_object().at("text")}};
        if (const auto* cc = pv.as_object().if_contains("cache_control")) {
          b["cache_control"] = *cc;
          marked = true;
        }
        blocks.push_back(std::move(b));
      }
    }
  }
  return marked ? blocks : json::array{};
}


}  // namespace

std::int64_t anthropic_thinking_budget(std::string_view effort) {
  if (effort == "minimal" || effort == "low") return 1024;
  if (effort == "medium") return 4096;
  if (effort == "high") return 16384;
  if (effort == "xhigh" || effort == "max") return 32768;
  return 0;  // "none" or unknown
}

void read_prompt_usage(const json::object& u, Usage& out) {
  out.cached_tokens = int_or_zero(u, "cache_read_input_tokens");
  out.cache_write_tokens = int_or_zero(u, "cache_creation_input_tokens");
  out.prompt_tokens = int_or_zero(u, "input_tokens") + int_or_zero(u, "cache_creation_input_tokens") + out.cached_tokens;
}

Error anthropic_stream_error(const json::object& e) {
  Error err = make_error(errc::upstream_status, "failed mid-stream");
  if (const auto* eo = e.if_contains("error"); eo && eo->is_object()) {
    const auto* t = eo->as_object().if_contains("type");
    const auto* msg = eo->as_object().if_contains("message");
    err.upstream_status = anthropic_error_status(t && t->is_string() ? std::string_view(t->as_string()) : "");
    if (msg && msg->is_string()) err.message += ": " + std::string(msg->as_string());
    err.upstream_error = json::serialize(*eo);
  } else {
    err.upstream_status = 500;
  }
  return err;
}

std::string_view anthropic_finish_reason(std::string_view stop_reason) noexcept {
  if (stop_reason == "max_tokens") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "refusal") return "content_filter";
  return "stop";  // end_turn, stop_sequence, pause_turn
}

int anthropic_error_status(std::string_view type) noexcept {
  if (type == "invalid_request_error") return 400;
  if (type == "authentication_error") return 401;
  if (type == "permission_error") return 403;
  if (type == "not_found_error") return 404;
  if (type == "request_too_large") return 413;
  if (type == "rate_limit_error") return 429;
  if (type == "overloaded_error") return 529;
  return 500;
}

result<json::object> openai_to_anthropic_request(const json::object& in, std::string_view model) {
  try {
  json::object out;
  out["model"] = model;
  std::string system;
  json::array messages;
  auto walked = for_each_message(in, system, [&](std::string_view role, const json::object& m, const json::value& content) -> result<void> {
    if (role == "tool") {
      append_turn(messages, "user", "content", json::array{json::object{{"type", "tool_result"}, {"tool_use_id", m.at("tool_call_id")}, {"content", text_of(content)}}});
      return {};
    }
    auto blocks = convert_parts(content, kBlocks);
    if (!blocks) return blocks.error();
    copy_cache_control(content, *blocks);
    auto calls = for_each_tool_call(m, [&](std::string_view id, std::string_view name, json::object input) -> result<void> {
      blocks->push_back(json::object{{"type", "tool_use"}, {"id", id}, {"name", name}, {"input", std::move(input)}});
      return {};
    });
    if (!calls) return calls.error();
    append_turn(messages, role, "content", std::move(*blocks));
    return {};
  });
  if (!walked) return walked.error();
  if (auto blocks = cached_system_blocks(in); !blocks.empty()) out["system"] = std::move(blocks);  // prompt caching kept
  else if (!system.empty()) out["system"] = system;
  out["messages"] = std::move(messages);
  std::int64_t max_tokens = kAnthropicDefaultMaxTokens;
  for (const char* k : {"max_tokens", "max_completion_tokens"}) {
    if (const auto* v = in.if_contains(k); v && v->is_int64()) max_tokens = v->as_int64();
  }
  out["max_tokens"] = max_tokens;
  for (const char* k : {"temperature", "top_p"}) {
    if (const auto* v = in.if_contains(k); v && v->is_number()) out[k] = *v;
  }
  if (const auto* stop = in.if_contains("stop")) {
    if (stop->is_string()) out["stop_sequences"] = json::array{*stop};
    else if (stop->is_array()) out["stop_sequences"] = *stop;
  }
  if (const auto* tools = in.if_contains("tools"); tools && tools->is_array() && !tools->as_array().empty()) {
    json::array t;
    for (const auto& tv : tools->as_array()) {
      const auto* fn = tv.is_object() ? tv.as_object().if_contains("function") : nullptr;
      if (!fn || !fn->is_object()) return bad_request("tools must be {\"type\":\"function\",\"function\":{...}}");
      const auto& f = fn->as_object();
      json::object tool{{"name", f.at("name")}, {"input_schema", f.contains("parameters") ? f.at("parameters") : json::value(json::object{{"type", "object"}})}};
      if (const auto* d = f.if_contains("description")) tool["description"] = *d;
      if (const auto* cc = tv.as_object().if_contains("cache_control")) tool["cache_control"] = *cc;  // caches the tools up to here
      t.push_back(std::move(tool));
    }
    out["tools"] = std::move(t);
  }
  if (const auto* tc = in.if_contains("tool_choice")) {
    if (tc->is_string()) {
      if (tc->as_string() == "auto") out["tool_choice"] = json::object{{"type", "auto"}};
      else if (tc->as_string() == "required") out["tool_choice"] = json::object{{"type", "any"}};
      else if (tc->as_string() == "none") out["tool_choice"] = json::object{{"type", "none"}};
    } else if (tc->is_object()) {
      if (const auto* fn = tc->as_object().if_contains("function"); fn && fn->is_object()) {
        out["tool_choice"] = json::object{{"type", "tool"}, {"name", fn->as_object().at("name")}};
      }
    }
  }
  if (const auto* s = in.if_contains("stream"); s && s->is_bool() && s->as_bool()) out["stream"] = true;
  // reasoning_effort → extended thinking with a budget; Anthropic wants the
  // budget under max_tokens and no sampling changes while thinking.
  if (const auto* e = in.if_contains("reasoning_effort"); e && e->is_string()) {
    if (const auto budget = anthropic_thinking_budget(e->as_string()); budget > 0) {
      out["thinking"] = json::object{{"type", "enabled"}, {"budget_tokens", budget}};
      if (out["max_tokens"].as_int64() <= budget) out["max_tokens"] = budget + max_tokens;
      out.erase("temperature");
      out.erase("top_p");
    }
  }
  return out;
  } catch (const std::exception&) {  // a field of the wrong shape (json::value::at / as_* throw)
    return bad_request("the request does not have the shape of a chat completion (messages, tools, tool_calls)");
  }
}

result<std::string> anthropic_to_openai_response(std::string_view body, std::string_view model, Usage& usage) {
  try {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "sent a response that is not JSON");
  const auto& m = v.as_object();
  std::string text, reasoning;
  json::array tool_calls;
  if (const auto* content = m.if_contains("content"); content && content->is_array()) {
    for (const auto& b : content->as_array()) {
      const auto& block = b.as_object();
      const auto type = block.at("type").as_string();
      if (type == "thinking") {
        reasoning += std::string_view(block.at("thinking").as_string());
      } else if (type == "text") {
        text += std::string_view(block.at("text").as_string());
      } else if (type == "tool_use") {
        tool_calls.push_back(json::object{{"id", block.at("id")},
                                          {"type", "function"},
                                          {"function", json::object{{"name", block.at("name")}, {"arguments", json::serialize(block.at("input"))}}}});
      }
    }
  }
  json::object message{{"role", "assistant"}, {"content", text.empty() && !tool_calls.empty() ? json::value(nullptr) : json::value(text)}};
  if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
  if (!reasoning.empty()) message["reasoning_content"] = reasoning;
  std::string_view stop = "end_turn";
  if (const auto* s = m.if_contains("stop_reason"); s && s->is_string()) stop = s->as_string();
  usage = Usage{};
  if (const auto* u = m.if_contains("usage"); u && u->is_object()) {
    read_prompt_usage(u->as_object(), usage);
    usage.completion_tokens = int_or_zero(u->as_object(), "output_tokens");
    usage.reported = true;
  }
  json::object out{{"id", m.contains("id") ? m.at("id") : json::value("chatcmpl-anthropic")},
                   {"object", "chat.completion"},
                   {"created", 0},
                   {"model", model},
                   {"choices", json::array{json::object{{"index", 0}, {"message", std::move(message)}, {"logprobs", nullptr}, {"finish_reason", anthropic_finish_reason(stop)}}}},
                   {"usage", openai_usage_json(usage)}};
  return json::serialize(out);
  } catch (const std::exception&) {
    return make_error(errc::upstream_bad_response, "sent a message that does not have the Messages API shape");
  }
}

result<void> AnthropicStreamTranslator::on_event(std::string_view event, std::string_view data,
                                                 std::vector<std::string>& out) {
  try {
    return translate(event, data, out);
  } catch (const std::exception&) {
    return make_error(errc::upstream_bad_response, "sent a stream event that does not have the Messages API shape");
  }
}

result<void> AnthropicStreamTranslator::on_end(std::vector<std::string>&) {
  if (finished_) return {};
  return make_error(errc::upstream_reset, "ended the stream before message_stop");
}

result<void> AnthropicStreamTranslator::translate(std::string_view event, std::string_view data,
                                                  std::vector<std::string>& out) {
  if (event == "ping") return {};
  boost::system::error_code ec;
  auto v = json::parse(data, ec);
  if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "sent an unparsable stream event");
  const auto& e = v.as_object();
  const auto* type_v = e.if_contains("type");
  const std::string_view type = type_v && type_v->is_string() ? std::string_view(type_v->as_string()) : event;
  if (type == "error") return anthropic_stream_error(e);
  if (type == "message_start") {
    const auto& msg = e.at("message").as_object();
    if (const auto* id = msg.if_contains("id"); id && id->is_string()) out_.set_id(id->as_string());
    if (const auto* u = msg.if_contains("usage"); u && u->is_object()) read_prompt_usage(u->as_object(), usage_);
    out.push_back(out_.chunk(R"({"role":"assistant","content":""})"));
  } else if (type == "content_block_start") {
    const auto index = e.at("index").as_int64();
    if (index < 0 || index > 10'000) return make_error(errc::upstream_bad_response, "sent a content block index out of range");
    if (static_cast<std::size_t>(index) >= tool_index_.size()) tool_index_.resize(static_cast<std::size_t>(index) + 1, -1);
    const auto& block = e.at("content_block").as_object();
    if (block.at("type").as_string() == "tool_use") {
      tool_index_[static_cast<std::size_t>(index)] = tools_;
      json::object call{{"index", tools_++}, {"id", block.at("id")}, {"type", "function"},
                        {"function", json::object{{"name", block.at("name")}, {"arguments", ""}}}};
      out.push_back(out_.chunk(json::serialize(json::object{{"tool_calls", json::array{std::move(call)}}})));
    }
  } else if (type == "content_block_delta") {
    const auto index = e.at("index").as_int64();
    const auto& delta = e.at("delta").as_object();
    const auto dtype = delta.at("type").as_string();
    ++usage_.completion_tokens;  // counted until message_delta reports the real figure
    if (dtype == "text_delta") {
      out.push_back(out_.chunk(json::serialize(json::object{{"content", delta.at("text")}})));
    } else if (dtype == "input_json_delta") {
      if (index < 0 || static_cast<std::size_t>(index) >= tool_index_.size() || tool_index_[static_cast<std::size_t>(index)] < 0) {
        return make_error(errc::upstream_bad_response, "sent tool input for a block that is not a tool call");
      }
      json::object call{{"index", tool_index_[static_cast<std::size_t>(index)]},
                        {"function", json::object{{"arguments", delta.at("partial_json")}}}};
      out.push_back(out_.chunk(json::serialize(json::object{{"tool_calls", json::array{std::move(call)}}})));
    }
    else if (dtype == "thinking_delta") {  // reasoning, as DeepSeek and OpenRouter stream it
      out.push_back(out_.chunk(json::serialize(json::object{{"reasoning_content", delta.at("thinking")}})));
    }
    // signature_delta: Anthropic's own proof of its thinking; no place in a chat chunk.
  } else if (type == "message_delta") {
    if (const auto* u = e.if_contains("usage"); u && u->is_object()) {
      const auto& uo = u->as_object();
      usage_.completion_tokens = int_or_zero(uo, "output_tokens");
      if (uo.contains("input_tokens")) read_prompt_usage(uo, usage_);  // newer API versions repeat them here
      usage_.reported = true;
    }
    const auto& delta = e.at("delta").as_object();
    if (const auto* stop = delta.if_contains("stop_reason"); stop && stop->is_string()) {
      out.push_back(out_.chunk("{}", anthropic_finish_reason(stop->as_string())));
    }
  } else if (type == "message_stop") {
    if (out_.include_usage()) {
      out.push_back(out_.usage_chunk(usage_));
    }
    finished_ = true;
  }
  return {};
}

}  // namespace switchyard::providers
