#include "providers/gemini_inbound.hpp"

#include <boost/json.hpp>

#include "providers/gemini_translator.hpp"
#include "providers/openai_usage.hpp"
#include "sse/sse_frame.hpp"

namespace switchyard::providers {

namespace json = boost::json;

namespace {

Error bad(std::string message) { return make_error(errc::invalid_request, std::move(message)); }

std::string_view rpc_status(int status) {
  switch (status) {
    case 400: return "INVALID_ARGUMENT";
    case 401: return "UNAUTHENTICATED";
    case 403: return "PERMISSION_DENIED";
    case 404: return "NOT_FOUND";
    case 409: return "ABORTED";
    case 413: return "INVALID_ARGUMENT";
    case 429: return "RESOURCE_EXHAUSTED";
    case 499: return "CANCELLED";
    case 501: return "NOT_IMPLEMENTED";
    case 503: return "UNAVAILABLE";
    case 504: return "DEADLINE_EXCEEDED";
    default: return status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT";
  }
}

std::string_view gemini_finish(std::string_view openai) {
  if (openai == "length") return "MAX_TOKENS";
  if (openai == "content_filter") return "SAFETY";
  return "STOP";  // stop, tool_calls
}

json::object usage_metadata(const Usage& u) {
  json::object m{{"promptTokenCount", u.prompt_tokens}, {"candidatesTokenCount", u.completion_tokens - u.reasoning_tokens},
                 {"totalTokenCount", u.prompt_tokens + u.completion_tokens}};
  if (u.cached_tokens) m["cachedContentTokenCount"] = u.cached_tokens;
  if (u.reasoning_tokens) m["thoughtsTokenCount"] = u.reasoning_tokens;
  return m;
}

// One Gemini part → an OpenAI content part (text or image); null for parts handled elsewhere.
json::value openai_part(const json::object& part) {
  if (const auto* t = part.if_contains("text"); t && t->is_string()) {
    if (const auto* th = part.if_contains("thought"); th && th->is_bool() && th->as_bool()) return nullptr;  // thought summaries stay out
    return json::object{{"type", "text"}, {"text", *t}};
  }
  if (const auto* d = part.if_contains("inlineData"); d && d->is_object()) {
    const auto* mime = d->as_object().if_contains("mimeType");
    const auto* data = d->as_object().if_contains("data");
    if (!mime || !mime->is_string() || !data || !data->is_string()) throw std::invalid_argument("inlineData");
    return json::object{{"type", "image_url"},
                        {"image_url", json::object{{"url", "data:" + std::string(mime->as_string()) + ";base64," + std::string(data->as_string())}}}};
  }
  if (const auto* f = part.if_contains("fileData"); f && f->is_object()) {
    const auto* uri = f->as_object().if_contains("fileUri");
    if (!uri || !uri->is_string()) throw std::invalid_argument("fileData");
    return json::object{{"type", "image_url"}, {"image_url", json::object{{"url", *uri}}}};
  }
  return nullptr;
}

void add_generation_config(const json::object& gc, json::object& out) {
  if (const auto* v = gc.if_contains("temperature"); v && v->is_number()) out["temperature"] = *v;
  if (const auto* v = gc.if_contains("topP"); v && v->is_number()) out["top_p"] = *v;
  if (const auto* v = gc.if_contains("maxOutputTokens"); v && v->is_int64()) out["max_tokens"] = *v;
  if (const auto* v = gc.if_contains("stopSequences"); v && v->is_array()) out["stop"] = *v;
  if (const auto* v = gc.if_contains("seed"); v && v->is_int64()) out["seed"] = *v;
  if (const auto* v = gc.if_contains("presencePenalty"); v && v->is_number()) out["presence_penalty"] = *v;
  if (const auto* v = gc.if_contains("frequencyPenalty"); v && v->is_number()) out["frequency_penalty"] = *v;
  const json::value* schema = gc.if_contains("responseJsonSchema");
  if (!schema) schema = gc.if_contains("responseSchema");
  if (schema && schema->is_object()) {
    out["response_format"] = json::object{{"type", "json_schema"}, {"json_schema", json::object{{"name", "response"}, {"schema", *schema}}}};
  } else if (const auto* mime = gc.if_contains("responseMimeType"); mime && *mime == "application/json") {
    out["response_format"] = json::object{{"type", "json_object"}};
  }
  if (const auto* tc = gc.if_contains("thinkingConfig"); tc && tc->is_object()) {
    if (const auto* b = tc->as_object().if_contains("thinkingBudget"); b && b->is_int64()) {
      const auto budget = b->as_int64();
      if (budget == 0) out["reasoning_effort"] = "none";
      else if (budget > 0) out["reasoning_effort"] = budget <= 1024 ? "low" : budget <= 8192 ? "medium" : "high";
    }
  }
}

void add_tools(const json::object& in, json::object& out) {
  json::array tools;
  if (const auto* ts = in.if_contains("tools"); ts && ts->is_array()) {
    for (const auto& t : ts->as_array()) {
      const auto* decls = t.is_object() ? t.as_object().if_contains("functionDeclarations") : nullptr;
      if (!decls || !decls->is_array()) continue;  // googleSearch, codeExecution, ...: the gateway's targets run no Google tools
      for (const auto& d : decls->as_array()) {
        const auto& f = d.as_object();
        json::object fn{{"name", f.at("name")}};
        if (const auto* desc = f.if_contains("description")) fn["description"] = *desc;
        if (const auto* p = f.if_contains("parametersJsonSchema")) fn["parameters"] = *p;
        else if (const auto* p2 = f.if_contains("parameters")) fn["parameters"] = *p2;
        else fn["parameters"] = json::object{{"type", "object"}, {"properties", json::object{}}};
        tools.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
      }
    }
  }
  if (tools.empty()) return;
  out["tools"] = std::move(tools);
  const auto* tc = in.if_contains("toolConfig");
  const auto* fcc = tc && tc->is_object() ? tc->as_object().if_contains("functionCallingConfig") : nullptr;
  if (!fcc || !fcc->is_object()) return;
  const auto* mode = fcc->as_object().if_contains("mode");
  if (mode && *mode == "NONE") out["tool_choice"] = "none";
  else if (mode && *mode == "ANY") {
    const auto* allowed = fcc->as_object().if_contains("allowedFunctionNames");
    if (allowed && allowed->is_array() && allowed->as_array().size() == 1) {
      out["tool_choice"] = json::object{{"type", "function"}, {"function", json::object{{"name", allowed->as_array()[0]}}}};
    } else {
      out["tool_choice"] = "required";
    }
  } else if (mode && *mode == "AUTO") {
    out["tool_choice"] = "auto";
  }
}

}  // namespace

std::optional<GeminiCall> parse_gemini_path(std::string_view path) {
  for (std::string_view prefix : {"/v1beta/models/", "/v1/models/", "/v1alpha/models/"}) {
    if (!path.starts_with(prefix)) continue;
    std::string_view rest = path.substr(prefix.size());
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || rest.size() > 300) return std::nullopt;
    GeminiCall c{std::string(rest.substr(0, colon)), std::string(rest.substr(colon + 1))};
    if (c.model.find('/') != std::string::npos) return std::nullopt;
    return c;
  }
  return std::nullopt;
}

std::string gemini_error_body(int status, std::string_view message) {
  return json::serialize(json::object{{"error", json::object{{"code", status}, {"message", message}, {"status", rpc_status(status)}}}});
}

result<json::object> gemini_request_to_openai(const json::object& in, std::string_view model, bool stream) {
  try {
    json::object out{{"model", model}};
    json::array messages;
    if (const auto* si = in.if_contains("systemInstruction"); si && si->is_object()) {
      std::string text;
      if (const auto* parts = si->as_object().if_contains("parts"); parts && parts->is_array()) {
        for (const auto& p : parts->as_array()) {
          if (const auto* t = p.as_object().if_contains("text"); t && t->is_string()) {
            if (!text.empty()) text += "\n";
            text += std::string_view(t->as_string());
          }
        }
      }
      if (!text.empty()) messages.push_back(json::object{{"role", "system"}, {"content", text}});
    }
    const auto* contents = in.if_contains("contents");
    if (!contents || !contents->is_array() || contents->as_array().empty()) return bad("'contents' must be a non-empty array");
    std::map<std::string, std::vector<std::string>, std::less<>> open_calls;  // function name → ids not yet answered
    std::size_t next_call = 0;
    for (const auto& cv : contents->as_array()) {
      const auto& c = cv.as_object();
      const auto* role_v = c.if_contains("role");
      const std::string_view role = role_v && role_v->is_string() ? std::string_view(role_v->as_string()) : "user";
      if (role != "user" && role != "model" && role != "function") return bad("a content's role is \"user\" or \"model\"");
      json::array parts_out, calls;
      for (const auto& pv : c.at("parts").as_array()) {
        const auto& p = pv.as_object();
        if (const auto* fc = p.if_contains("functionCall"); fc && fc->is_object()) {
          const auto& f = fc->as_object();
          const std::string name(f.at("name").as_string());
          std::string id = f.contains("id") && f.at("id").is_string() ? std::string(f.at("id").as_string()) : "call_" + std::to_string(next_call++);
          open_calls[name].push_back(id);
          calls.push_back(json::object{{"id", id}, {"type", "function"},
                                       {"function", json::object{{"name", name}, {"arguments", json::serialize(f.contains("args") ? f.at("args") : json::value(json::object{}))}}}});
        } else if (const auto* fr = p.if_contains("functionResponse"); fr && fr->is_object()) {
          const auto& r = fr->as_object();
          const std::string name(r.at("name").as_string());
          std::string id;
          if (r.contains("id") && r.at("id").is_string()) id = std::string(r.at("id").as_string());
          else if (auto it = open_calls.find(name); it != open_calls.end() && !it->second.empty()) {
            id = it->second.front();
            it->second.erase(it->second.begin());
          } else {
            return bad("a functionResponse for '" + name + "' answers no functionCall before it");
          }
          messages.push_back(json::object{{"role", "tool"}, {"tool_call_id", id},
                                          {"content", json::serialize(r.contains("response") ? r.at("response") : json::value(json::object{}))}});
        } else if (auto part = openai_part(p); !part.is_null()) {
          parts_out.push_back(std::move(part));
        }
      }
      const std::string_view oa_role = role == "model" ? "assistant" : "user";
      if (parts_out.empty() && calls.empty()) continue;
      json::object m{{"role", oa_role}};
      if (parts_out.size() == 1 && parts_out[0].at("type") == "text") m["content"] = parts_out[0].at("text");
      else if (!parts_out.empty()) m["content"] = std::move(parts_out);
      else m["content"] = nullptr;
      if (!calls.empty()) m["tool_calls"] = std::move(calls);
      messages.push_back(std::move(m));
    }
    out["messages"] = std::move(messages);
    if (const auto* gc = in.if_contains("generationConfig"); gc && gc->is_object()) add_generation_config(gc->as_object(), out);
    add_tools(in, out);
    if (stream) {
      out["stream"] = true;
      out["stream_options"] = json::object{{"include_usage", true}};
    }
    return out;
  } catch (const std::exception&) {
    return bad("the request does not have the shape of a GenerateContentRequest (contents[].parts, tools[].functionDeclarations)");
  }
}

result<std::string> openai_response_to_gemini(std::string_view body, std::string_view model) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "the answer is not JSON");
  try {
    const auto& o = v.as_object();
    const auto& choice = o.at("choices").as_array().at(0).as_object();
    const auto& msg = choice.at("message").as_object();
    json::array parts;
    if (const auto* r = msg.if_contains("reasoning_content"); r && r->is_string() && !r->as_string().empty()) {
      parts.push_back(json::object{{"text", *r}, {"thought", true}});
    }
    if (const auto* c = msg.if_contains("content"); c && c->is_string() && !c->as_string().empty()) parts.push_back(json::object{{"text", *c}});
    if (const auto* calls = msg.if_contains("tool_calls"); calls && calls->is_array()) {
      for (const auto& cv : calls->as_array()) {
        const auto& fn = cv.at("function").as_object();
        boost::system::error_code aec;
        auto args = json::parse(fn.at("arguments").as_string(), aec);
        parts.push_back(json::object{{"functionCall", json::object{{"id", cv.at("id")}, {"name", fn.at("name")}, {"args", aec ? json::value(json::object{}) : args}}}});
      }
    }
    if (parts.empty()) parts.push_back(json::object{{"text", ""}});
    std::string_view finish = "stop";
    if (const auto* f = choice.if_contains("finish_reason"); f && f->is_string()) finish = f->as_string();
    json::object out{{"candidates", json::array{json::object{{"content", json::object{{"parts", std::move(parts)}, {"role", "model"}}},
                                                             {"finishReason", gemini_finish(finish)}, {"index", 0}}}},
                     {"modelVersion", model}};
    if (const auto* id = o.if_contains("id"); id && id->is_string()) out["responseId"] = *id;
    if (const auto* u = o.if_contains("usage"); u && u->is_object()) out["usageMetadata"] = usage_metadata(usage_from_openai(u->as_object()));
    return json::serialize(out);
  } catch (const std::exception&) {
    return make_error(errc::upstream_bad_response, "the answer does not have the shape of a chat completion");
  }
}

void OpenAiToGeminiStream::frame(std::string& out, json::array parts, std::string_view finish, bool with_usage) {
  json::object candidate{{"content", json::object{{"parts", std::move(parts)}, {"role", "model"}}}, {"index", 0}};
  if (!finish.empty()) candidate["finishReason"] = finish;
  json::object r{{"candidates", json::array{std::move(candidate)}}, {"modelVersion", model_}};
  if (!id_.empty()) r["responseId"] = id_;
  if (with_usage) r["usageMetadata"] = usage_metadata(usage_);
  out += "data: ";
  out += json::serialize(r);
  out += "\r\n\r\n";
}

result<void> OpenAiToGeminiStream::on_chunk(std::string_view chunk, std::string& out) {
  if (ended_) return {};
  boost::system::error_code ec;
  auto v = json::parse(chunk, ec);
  if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "a stream chunk is not JSON");
  const auto& o = v.as_object();
  if (id_.empty()) {
    if (const auto* id = o.if_contains("id"); id && id->is_string()) id_ = std::string(id->as_string());
  }
  if (const auto* u = o.if_contains("usage"); u && u->is_object()) {
    usage_ = usage_from_openai(u->as_object());
    usage_seen_ = true;
  }
  const auto* choices = o.if_contains("choices");
  if (!choices || !choices->is_array()) return make_error(errc::upstream_bad_response, "a stream chunk without choices");
  for (const auto& cv : choices->as_array()) {
    const auto* c = cv.if_object();
    if (!c) return make_error(errc::upstream_bad_response, "a stream chunk's choice is not an object");
    json::array parts;
    if (const auto* d = c->if_contains("delta"); d && d->is_object()) {
      const auto& delta = d->as_object();
      if (const auto* r = delta.if_contains("reasoning_content"); r && r->is_string() && !r->as_string().empty()) {
        parts.push_back(json::object{{"text", *r}, {"thought", true}});
      }
      if (const auto* t = delta.if_contains("content"); t && t->is_string() && !t->as_string().empty()) parts.push_back(json::object{{"text", *t}});
      if (const auto* calls = delta.if_contains("tool_calls"); calls && calls->is_array()) {
        for (const auto& tcv : calls->as_array()) {
          const auto& tc = tcv.as_object();
          const auto index = tc.contains("index") && tc.at("index").is_int64() ? tc.at("index").as_int64() : 0;
          if (calls_.size() > 128 && !calls_.count(index)) return make_error(errc::upstream_bad_response, "too many tool calls in one answer");
          auto& call = calls_[index];
          if (const auto* fn = tc.if_contains("function"); fn && fn->is_object()) {
            if (const auto* n = fn->as_object().if_contains("name"); n && n->is_string()) call.name = std::string(n->as_string());
            if (const auto* a = fn->as_object().if_contains("arguments"); a && a->is_string()) {
              if (call.arguments.size() + a->as_string().size() > kMaxCallArguments) {
                return make_error(errc::upstream_bad_response, "sent tool-call arguments over 8 MiB");
              }
              call.arguments += std::string_view(a->as_string());
            }
          }
        }
      }
    }
    if (!parts.empty()) frame(out, std::move(parts), {}, false);
    if (const auto* f = c->if_contains("finish_reason"); f && f->is_string()) finish_ = std::string(f->as_string());
  }
  return {};
}

void OpenAiToGeminiStream::on_end(std::string& out) {
  if (ended_) return;
  ended_ = true;
  json::array parts;
  std::size_t n = 0;
  for (auto& [index, call] : calls_) {
    boost::system::error_code ec;
    auto args = json::parse(call.arguments.empty() ? std::string_view("{}") : std::string_view(call.arguments), ec);
    parts.push_back(json::object{{"functionCall", json::object{{"id", "call_" + std::to_string(n++)}, {"name", call.name},
                                                               {"args", ec ? json::value(json::object{}) : args}}}});
  }
  if (parts.empty()) parts.push_back(json::object{{"text", ""}});
  frame(out, std::move(parts), gemini_finish(finish_.empty() ? "stop" : finish_), usage_seen_);
}

void OpenAiToGeminiStream::on_error(const Error& e, std::string& out) {
  const int status = e.upstream_status >= 400 ? e.upstream_status : 500;
  out += "data: ";
  out += gemini_error_body(status, e.message);
  out += "\r\n\r\n";
}

result<json::object> gemini_embed_to_openai(const json::object& in, std::string_view model, bool batch) {
  json::array inputs;
  auto text_of_content = [](const json::value* content) -> std::optional<std::string> {
    const auto* parts = content && content->is_object() ? content->as_object().if_contains("parts") : nullptr;
    if (!parts || !parts->is_array()) return std::nullopt;
    std::string text;
    for (const auto& p : parts->as_array()) {
      const auto* t = p.is_object() ? p.as_object().if_contains("text") : nullptr;
      if (t && t->is_string()) text += std::string_view(t->as_string());
    }
    return text;
  };
  std::optional<std::int64_t> dims;
  auto read_dims = [&](const json::object& r) {
    if (const auto* d = r.if_contains("outputDimensionality"); d && d->is_int64()) dims = d->as_int64();
  };
  if (batch) {
    const auto* reqs = in.if_contains("requests");
    if (!reqs || !reqs->is_array() || reqs->as_array().empty()) return bad("'requests' must be a non-empty array");
    for (const auto& r : reqs->as_array()) {
      if (!r.is_object()) return bad("each request is an object");
      auto t = text_of_content(r.as_object().if_contains("content"));
      if (!t) return bad("each request needs content.parts[].text");
      inputs.emplace_back(*t);
      read_dims(r.as_object());
    }
  } else {
    auto t = text_of_content(in.if_contains("content"));
    if (!t) return bad("'content.parts[].text' is required");
    inputs.emplace_back(*t);
    read_dims(in);
  }
  json::object out{{"model", model}, {"input", std::move(inputs)}, {"encoding_format", "float"}};
  if (dims) out["dimensions"] = *dims;
  return out;
}

result<std::string> openai_embeddings_to_gemini(std::string_view body, bool batch) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  const auto* data = !ec && v.is_object() ? v.as_object().if_contains("data") : nullptr;
  if (!data || !data->is_array()) return make_error(errc::upstream_bad_response, "the embeddings answer has no data");
  json::array list;
  for (const auto& d : data->as_array()) {
    const auto* e = d.is_object() ? d.as_object().if_contains("embedding") : nullptr;
    if (!e || !e->is_array()) return make_error(errc::upstream_bad_response, "an embedding is not a list of numbers");
    list.push_back(json::object{{"values", *e}});
  }
  if (batch) return json::serialize(json::object{{"embeddings", std::move(list)}});
  if (list.empty()) return make_error(errc::upstream_bad_response, "no embedding");
  return json::serialize(json::object{{"embedding", list[0]}});
}

}  // namespace switchyard::providers
