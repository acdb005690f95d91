#include "providers/converse_translator.hpp"

#include <boost/json.hpp>

#include "providers/anthropic_translator.hpp"
#include "providers/content_parts.hpp"
#include "providers/openai_usage.hpp"

namespace switchyard::providers {

namespace json = boost::json;

namespace {

Error bad_request(std::string message) { return make_error(errc::invalid_request, std::move(message)); }

std::int64_t int_or_zero(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

// "image/png" → "png"; empty for a type Converse does not take.
std::string_view image_format(std::string_view media_type) {
  if (media_type == "image/png") return "png";
  if (media_type == "image/jpeg" || media_type == "image/jpg") return "jpeg";
  if (media_type == "image/gif") return "gif";
  if (media_type == "image/webp") return "webp";
  return {};
}

// The format an s3:// object's extension names ("jpeg" when it names none).
std::string_view s3_image_format(std::string_view uri) {
  const auto dot = uri.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? std::string_view{} : uri.substr(dot + 1);
  if (ext == "png" || ext == "gif" || ext == "webp") return ext;
  return "jpeg";
}

// OpenAI content parts as Converse content blocks; an image Converse cannot
// take is null (reported by the caller: a writer cannot fail).
const PartWriter kBlocks{
    [](std::string_view text) -> json::value {
      if (text.empty()) return json::value();  // Converse refuses empty text blocks: dropped below
      return json::object{{"text", text}};
    },
    [](const DataUrl& image) -> json::value {
      const auto format = image_format(image.media_type);
      if (format.empty()) return json::value(json::string("unsupported"));
      return json::object{{"image", json::object{{"format", format}, {"source", json::object{{"bytes", image.data}}}}}};
    },
    [](std::string_view url) -> json::value {
      if (url.substr(0, 5) != "s3://") return json::value(json::string("unsupported"));
      return json::object{
          {"image", json::object{{"format", s3_image_format(url)}, {"source", json::object{{"s3Location", json::object{{"uri", url}}}}}}}};
    }};

// Drops empty text blocks; an error for an image Converse cannot take. A part
// with cache_control gets a cachePoint after its block.
result<json::array> converse_blocks(const json::value& content) {
  auto blocks = convert_parts(content, kBlocks);
  if (!blocks) return blocks.error();
  std::vector<bool> marked;
  if (content.is_array()) {
    for (const auto& pv : content.as_array()) {
      const auto* p = pv.if_object();
      if (!p) continue;
      const auto* type = p->if_contains("type");
      const bool part = type && ((*type == "text" && p->contains("text") && p->at("text").is_string()) || *type == "image_url");
      if (part) marked.push_back(p->contains("cache_control"));
    }
  }
  json::array out;
  for (std::size_t i = 0; i < blocks->size(); ++i) {
    auto& b = (*blocks)[i];
    if (b.is_string()) {
      return bad_request("Bedrock takes images as base64 data URLs (png, jpeg, gif, webp) or s3:// URLs");
    }
    if (!b.is_null()) out.push_back(std::move(b));
    if (i < marked.size() && marked[i]) out.push_back(json::object{{"cachePoint", json::object{{"type", "default"}}}});
  }
  return out;
}

bool anthropic_model(std::string_view model) {
  return model.find("anthropic.") != std::string_view::npos || model.find("claude") != std::string_view::npos;
}

void add_tool_config(const json::object& in, json::object& out) {
  const auto* tools = in.if_contains("tools");
  if (!tools || !tools->is_array() || tools->as_array().empty()) return;
  json::array specs;
  for (const auto& tv : tools->as_array()) {
    const auto* fn = tv.is_object() ? tv.as_object().if_contains("function") : nullptr;
    if (!fn || !fn->is_object()) throw std::invalid_argument("tools");
    const auto& f = fn->as_object();
    json::object spec{{"name", f.at("name")},
                      {"inputSchema", json::object{{"json", f.contains("parameters") ? f.at("parameters") : json::value(json::object{{"type", "object"}})}}}};
    if (const auto* d = f.if_contains("description"); d && d->is_string() && !d->as_string().empty()) spec["description"] = *d;
    if (const auto* s = f.if_contains("strict"); s && s->is_bool()) spec["strict"] = *s;
    specs.push_back(json::object{{"toolSpec", std::move(spec)}});
    if (tv.as_object().contains("cache_control")) specs.push_back(json::object{{"cachePoint", json::object{{"type", "default"}}}});
  }
  json::object config{{"tools", std::move(specs)}};
  if (const auto* tc = in.if_contains("tool_choice")) {
    if (tc->is_string()) {
      // "none" has no Converse equivalent: the tools stay declared (earlier turns may use them), the model chooses.
      if (tc->as_string() == "auto") config["toolChoice"] = json::object{{"auto", json::object{}}};
      else if (tc->as_string() == "required") config["toolChoice"] = json::object{{"any", json::object{}}};
    } else if (const auto* fn = tc->is_object() ? tc->as_object().if_contains("function") : nullptr; fn && fn->is_object()) {
      config["toolChoice"] = json::object{{"tool", json::object{{"name", fn->as_object().at("name")}}}};
    }
  }
  out["toolConfig"] = std::move(config);
}

// Whether a system or developer message (or a part of one) carries a cache_control mark.
bool system_marked(const json::object& in) {
  const auto* msgs = in.if_contains("messages");
  if (!msgs || !msgs->is_array()) return false;
  for (const auto& mv : msgs->as_array()) {
    const auto* m = mv.if_object();
    const auto* role = m ? m->if_contains("role") : nullptr;
    if (!role || !(*role == "system" || *role == "developer")) continue;
    if (m->contains("cache_control")) return true;
    if (const auto* c = m->if_contains("content"); c && c->is_array()) {
      for (const auto& p : c->as_array()) {
        if (p.is_object() && p.as_object().contains("cache_control")) return true;
      }
    }
  }
  return false;
}

}  // namespace

Usage converse_usage(const json::object& u) {
  Usage usage;
  usage.cached_tokens = int_or_zero(u, "cacheReadInputTokens");
  usage.cache_write_tokens = int_or_zero(u, "cacheWriteInputTokens");
  // inputTokens excludes the cache's reads and writes (as Anthropic's input_tokens): the prompt holds all three.
  usage.prompt_tokens = int_or_zero(u, "inputTokens") + usage.cached_tokens + usage.cache_write_tokens;
  usage.completion_tokens = int_or_zero(u, "outputTokens");
  usage.reported = true;
  return usage;
}

std::string_view converse_finish_reason(std::string_view stop) noexcept {
  if (stop == "tool_use") return "tool_calls";
  if (stop == "max_tokens" || stop == "model_context_window_exceeded") return "length";
  if (stop == "guardrail_intervened" || stop == "content_filtered") return "content_filter";
  return "stop";  // end_turn, stop_sequence, malformed_*
}

int aws_error_status(std::string_view code) noexcept {
  if (const auto hash = code.rfind('#'); hash != std::string_view::npos) code.remove_prefix(hash + 1);
  if (const auto colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
  auto is = [&](std::string_view name) {  // the stream's lower camelCase or the header's UpperCamelCase
    if (code.size() != name.size() || code.empty()) return false;
    if ((code[0] | 0x20) != (name[0] | 0x20)) return false;
    return code.substr(1) == name.substr(1);
  };
  if (is("ThrottlingException")) return 429;
  if (is("ServiceUnavailableException") || is("ModelNotReadyException")) return 503;
  if (is("InternalServerException")) return 500;
  if (is("ValidationException") || is("ServiceQuotaExceededException")) return 400;
  if (is("AccessDeniedException") || is("UnrecognizedClientException")) return 403;
  if (is("ExpiredTokenException")) return 401;
  if (is("ResourceNotFoundException")) return 404;
  if (is("ModelTimeoutException")) return 408;
  if (is("ModelErrorException") || is("ModelStreamErrorException")) return 424;
  return 502;
}

Error aws_stream_exception(std::string_view type, std::string_view payload) {
  Error e = make_error(errc::upstream_status, "failed mid-stream: " + std::string(type.substr(0, 64)));
  e.upstream_status = aws_error_status(type);
  boost::system::error_code ec;
  auto v = json::parse(payload, ec);
  if (!ec && v.is_object()) {
    for (const char* k : {"message", "Message"}) {
      if (const auto* m = v.as_object().if_contains(k); m && m->is_string()) {
        e.message += ": " + std::string(m->as_string().subview().substr(0, 500));
        break;
      }
    }
    e.upstream_error = json::serialize(json::object{{"type", type}, {"message", v.as_object().contains("message") ? v.as_object().at("message") : json::value("")}});
  }
  return e;
}

result<json::object> openai_to_converse_request(const json::object& in, std::string_view model) {
  try {
    json::object out;
    std::string system;
    bool system_cached = false;
    json::array messages;
    auto walked = for_each_message(in, system, [&](std::string_view role, const json::object& m, const json::value& content) -> result<void> {
      if (role == "tool") {
        std::string text = text_of(content);
        json::object result{{"toolUseId", m.at("tool_call_id")}, {"content", json::array{json::object{{"text", text.empty() ? " " : text}}}},
                            {"status", "success"}};
        append_turn(messages, "user", "content", json::array{json::object{{"toolResult", std::move(result)}}});
        return {};
      }
      auto blocks = converse_blocks(content);
      if (!blocks) return blocks.error();
      if (m.contains("cache_control")) blocks->push_back(json::object{{"cachePoint", json::object{{"type", "default"}}}});
      auto calls = for_each_tool_call(m, [&](std::string_view id, std::string_view name, json::object input) -> result<void> {
        blocks->push_back(json::object{{"toolUse", json::object{{"toolUseId", id}, {"name", name}, {"input", std::move(input)}}}});
        return {};
      });
      if (!calls) return calls.error();
      if (blocks->empty()) blocks->push_back(json::object{{"text", " "}});  // a turn needs a block
      append_turn(messages, role, "content", std::move(*blocks));
      return {};
    });
    if (!walked) return walked.error();
    system_cached = system_marked(in);
    if (!system.empty()) {
      json::array blocks{json::object{{"text", system}}};
      if (system_cached) blocks.push_back(json::object{{"cachePoint", json::object{{"type", "default"}}}});
      out["system"] = std::move(blocks);
    }
    out["messages"] = std::move(messages);
    json::object inference;
    for (const char* k : {"max_tokens", "max_completion_tokens"}) {
      if (const auto* v = in.if_contains(k); v && v->is_int64()) inference["maxTokens"] = v->as_int64();
    }
    if (const auto* v = in.if_contains("temperature"); v && v->is_number()) inference["temperature"] = *v;
    if (const auto* v = in.if_contains("top_p"); v && v->is_number()) inference["topP"] = *v;
    if (const auto* stop = in.if_contains("stop")) {
      if (stop->is_string()) inference["stopSequences"] = json::array{*stop};
      else if (stop->is_array() && !stop->as_array().empty()) inference["stopSequences"] = *stop;
    }
    add_tool_config(in, out);
    if (const auto* rf = in.if_contains("response_format"); rf && rf->is_object()) {
      const auto& f = rf->as_object();
      const auto* js = f.if_contains("json_schema");
      if (f.contains("type") && f.at("type") == "json_schema" && js && js->is_object() && js->as_object().contains("schema")) {
        json::object schema{{"schema", json::serialize(js->as_object().at("schema"))}};
        if (const auto* n = js->as_object().if_contains("name"); n && n->is_string()) schema["name"] = *n;
        out["outputConfig"] = json::object{
            {"textFormat", json::object{{"type", "json_schema"}, {"structure", json::object{{"jsonSchema", std::move(schema)}}}}}};
      }
    }
    json::object extra;
    if (const auto* e = in.if_contains("reasoning_effort"); e && e->is_string() && anthropic_model(model)) {
      if (const auto budget = anthropic_thinking_budget(e->as_string()); budget > 0) {
        extra["thinking"] = json::object{{"type", "enabled"}, {"budget_tokens", budget}};
        const auto max = inference.contains("maxTokens") ? inference["maxTokens"].as_int64() : kAnthropicDefaultMaxTokens;
        if (max <= budget) inference["maxTokens"] = budget + max;
        inference.erase("temperature");
        inference.erase("topP");
      }
    }
    if (const auto* v = in.if_contains("top_k"); v && v->is_int64() && anthropic_model(model)) extra["top_k"] = *v;
    if (!inference.empty()) out["inferenceConfig"] = std::move(inference);
    if (!extra.empty()) out["additionalModelRequestFields"] = std::move(extra);
    return out;
  } catch (const std::exception&) {  // a field of the wrong shape (json::value::at / as_* throw)
    return bad_request("the request does not have the shape of a chat completion (messages, tools, tool_calls)");
  }
}

result<std::string> converse_to_openai_response(std::string_view body, std::string_view model, Usage& usage) {
  try {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "sent a response that is not JSON");
    const auto& r = v.as_object();
    std::string text, reasoning;
    json::array tool_calls;
    const auto& content = r.at("output").as_object().at("message").as_object().at("content").as_array();
    for (const auto& b : content) {
      const auto& block = b.as_object();
      if (const auto* t = block.if_contains("text")) {
        text += std::string_view(t->as_string());
      } else if (const auto* tu = block.if_contains("toolUse")) {
        const auto& u = tu->as_object();
        tool_calls.push_back(json::object{{"id", u.at("toolUseId")},
                                          {"type", "function"},
                                          {"function", json::object{{"name", u.at("name")}, {"arguments", json::serialize(u.at("input"))}}}});
      } else if (const auto* rc = block.if_contains("reasoningContent"); rc && rc->is_object()) {
        if (const auto* rt = rc->as_object().if_contains("reasoningText"); rt && rt->is_object()) {
          if (const auto* t2 = rt->as_object().if_contains("text"); t2 && t2->is_string()) reasoning += std::string_view(t2->as_string());
        }
      }
    }
    json::object message{{"role", "assistant"}, {"content", text.empty() && !tool_calls.empty() ? json::value(nullptr) : json::value(text)}};
    if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);
    if (!reasoning.empty()) message["reasoning_content"] = reasoning;
    std::string_view stop = "end_turn";
    if (const auto* s = r.if_contains("stopReason"); s && s->is_string()) stop = s->as_string();
    usage = Usage{};
    if (const auto* u = r.if_contains("usage"); u && u->is_object()) usage = converse_usage(u->as_object());
    json::object out{{"id", "chatcmpl-bedrock"},
                     {"object", "chat.completion"},
                     {"created", 0},
                     {"model", model},
                     {"choices", json::array{json::object{{"index", 0}, {"message", std::move(message)}, {"logprobs", nullptr},
                                                          {"finish_reason", converse_finish_reason(stop)}}}},
                     {"usage", openai_usage_json(usage)}};
    return json::serialize(out);
  } catch (const std::exception&) {
    return make_error(errc::upstream_bad_response, "sent an answer that does not have the Converse shape");
  }
}

result<void> ConverseStreamTranslator::on_event(std::string_view event, std::string_view data, std::vector<std::string>& out) {
  try {
    return translate(event, data, out);
  } catch (const std::exception&) {
    return make_error(errc::upstream_bad_response, "sent a stream event that does not have the ConverseStream shape");
  }
}

result<void> ConverseStreamTranslator::on_end(std::vector<std::string>& out) {
  if (finished_) return {};
  if (stopped_) {  // messageStop without the metadata event: complete, usage counted from the chunks
    if (out_.include_usage()) out.push_back(out_.usage_chunk(usage_));
    return {};
  }
  return make_error(errc::upstream_reset, "ended the stream before messageStop");
}

result<void> ConverseStreamTranslator::translate(std::string_view event, std::string_view data, std::vector<std::string>& out) {
  if (event != "messageStart" && event != "contentBlockStart" && event != "contentBlockDelta" && event != "contentBlockStop" &&
      event != "messageStop" && event != "metadata") {
    return {};  // an event type added later: skipped, as the SDKs do
  }
  boost::system::error_code ec;
  auto v = json::parse(data, ec);
  if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "sent an unparsable stream event");
  const auto& e = v.as_object();
  if (event == "messageStart") {
    out.push_back(out_.chunk(R"({"role":"assistant","content":""})"));
  } else if (event == "contentBlockStart") {
    const auto index = e.at("contentBlockIndex").as_int64();
    if (index < 0 || index > 10'000) return make_error(errc::upstream_bad_response, "sent a content block index out of range");
    if (static_cast<std::size_t>(index) >= tool_index_.size()) tool_index_.resize(static_cast<std::size_t>(index) + 1, -1);
    const auto& start = e.at("start").as_object();
    if (const auto* tu = start.if_contains("toolUse")) {
      const auto& u = tu->as_object();
      tool_index_[static_cast<std::size_t>(index)] = tools_;
      json::object call{{"index", tools_++}, {"id", u.at("toolUseId")}, {"type", "function"},
                        {"function", json::object{{"name", u.at("name")}, {"arguments", ""}}}};
      out.push_back(out_.chunk(json::serialize(json::object{{"tool_calls", json::array{std::move(call)}}})));
    }
  } else if (event == "contentBlockDelta") {
    const auto index = e.at("contentBlockIndex").as_int64();
    const auto& delta = e.at("delta").as_object();
    ++usage_.completion_tokens;  // counted until metadata reports the real figure
    if (const auto* t = delta.if_contains("text")) {
      out.push_back(out_.chunk(json::serialize(json::object{{"content", t->as_string()}})));
    } else if (const auto* tu = delta.if_contains("toolUse")) {
      if (index < 0 || static_cast<std::size_t>(index) >= tool_index_.size() || tool_index_[static_cast<std::size_t>(index)] < 0) {
        return make_error(errc::upstream_bad_response, "sent tool input for a block that is not a tool call");
      }
      json::object call{{"index", tool_index_[static_cast<std::size_t>(index)]},
                        {"function", json::object{{"arguments", tu->as_object().at("input").as_string()}}}};
      out.push_back(out_.chunk(json::serialize(json::object{{"tool_calls", json::array{std::move(call)}}})));
    } else if (const auto* rc = delta.if_contains("reasoningContent"); rc && rc->is_object()) {
      if (const auto* t2 = rc->as_object().if_contains("text"); t2 && t2->is_string()) {
        out.push_back(out_.chunk(json::serialize(json::object{{"reasoning_content", *t2}})));
      }  // signature / redactedContent: no place in a chat chunk
    }
  } else if (event == "messageStop") {
    stopped_ = true;
    out.push_back(out_.chunk("{}", converse_finish_reason(e.at("stopReason").as_string())));
  } else if (event == "metadata") {
    if (const auto* u = e.if_contains("usage"); u && u->is_object()) usage_ = converse_usage(u->as_object());
    if (out_.include_usage()) out.push_back(out_.usage_chunk(usage_));
    finished_ = true;
  }
  return {};
}

}  // namespace switchyard::providers
