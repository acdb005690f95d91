#include "providers/gemini_translator.hpp"

#include <boost/json.hpp>

#include <map>

#include "providers/content_parts.hpp"
#include "providers/openai_usage.hpp"

namespace switchyard::providers {

namespace json = boost::json;

namespace {

Error bad_request(std::string message) { return make_error(errc::invalid_request, std::move(message)); }

// Gemini reads fileData's MIME type from the request: guessed from the URL's extension.
std::string_view mime_of_url(std::string_view url) noexcept {
  url = url.substr(0, url.find_first_of("?#"));
  const auto dot = url.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? std::string_view{} : url.substr(dot + 1);
  if (ext == "png") return "image/png";
  if (ext == "webp") return "image/webp";
  if (ext == "gif") return "image/gif";
  if (ext == "heic") return "image/heic";
  if (ext == "heif") return "image/heif";
  if (ext == "pdf") return "application/pdf";
  return "image/jpeg";
}

// OpenAI content parts as Gemini parts.
const PartWriter kParts{
    [](std::string_view text) -> json::value { return json::object{{"text", text}}; },
    [](const DataUrl& image) -> json::value {
      return json::object{{"inlineData", json::object{{"mimeType", image.media_type}, {"data", image.data}}}};
    },
    [](std::string_view url) -> json::value { return json::object{{"fileData", json::object{{"mimeType", mime_of_url(url)}, {"fileUri", url}}}}; }};

// A tool result as functionResponse.response, which must be an object: a JSON
// object result as it is, anything else wrapped as {"content": ...}.
json::object function_response(const json::value& content) {
  const std::string text = text_of(content);
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (!ec && v.is_object()) return std::move(v.as_object());
  return json::object{{"content", text}};
}

std::int64_t count(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

}  // namespace

Usage gemini_usage(const json::object& meta) {
  Usage u;
  u.prompt_tokens = count(meta, "promptTokenCount") + count(meta, "toolUsePromptTokenCount");
  u.cached_tokens = count(meta, "cachedContentTokenCount");
  u.reasoning_tokens = count(meta, "thoughtsTokenCount");
  u.completion_tokens = count(meta, "candidatesTokenCount") + u.reasoning_tokens;
  u.reported = true;
  return u;
}

namespace {

const json::object* first_candidate(const json::object& response) {
  const auto* c = response.if_contains("candidates");
  if (!c || !c->is_array() || c->as_array().empty() || !c->as_array()[0].is_object()) return nullptr;
  return &c->as_array()[0].as_object();
}

// The candidate's text, thought summaries (reasoning) and function calls.
struct Answer {
  std::string text;
  std::string reasoning;  // parts marked thought: true (with includeThoughts)
  json::array calls;  // {"name", "args"} of each functionCall
};

Answer read_parts(const json::object& candidate) {
  Answer a;
  const auto* content = candidate.if_contains("content");
  const auto* parts = content && content->is_object() ? content->as_object().if_contains("parts") : nullptr;
  if (!parts || !parts->is_array()) return a;
  for (const auto& pv : parts->as_array()) {
    if (!pv.is_object()) continue;
    const auto& p = pv.as_object();
    const auto* thought = p.if_contains("thought");
    const bool is_thought = thought && thought->is_bool() && thought->as_bool();
    if (const auto* text = p.if_contains("text"); text && text->is_string()) (is_thought ? a.reasoning : a.text) += std::string_view(text->as_string());
    if (is_thought) continue;
    if (const auto* fc = p.if_contains("functionCall"); fc && fc->is_object()) a.calls.push_back(*fc);
  }
  return a;
}

// OpenAI's tool call for a Gemini functionCall; Gemini's id when it sent one.
json::object tool_call(const json::object& fc, std::int64_t index, bool with_index) {
  std::string id = "call_" + std::to_string(index);
  if (const auto* i = fc.if_contains("id"); i && i->is_string() && !i->as_string().empty()) id = std::string(i->as_string());
  const auto* args = fc.if_contains("args");
  json::object call{{"id", id},
                    {"type", "function"},
                    {"function", json::object{{"name", fc.at("name")}, {"arguments", args ? json::serialize(*args) : std::string("{}")}}}};
  if (with_index) call["index"] = index;
  return call;
}

// The reason a response has no candidate (the prompt was blocked), or empty.
std::string_view block_reason(const json::object& response) {
  const auto* pf = response.if_contains("promptFeedback");
  const auto* br = pf && pf->is_object() ? pf->as_object().if_contains("blockReason") : nullptr;
  return br && br->is_string() ? std::string_view(br->as_string()) : std::string_view{};
}

Error error_of(const json::object& error_object) {
  Error e = make_error(errc::upstream_status, "failed mid-stream");
  const auto* status = error_object.if_contains("status");
  const auto* code = error_object.if_contains("code");
  const auto* msg = error_object.if_contains("message");
  e.upstream_status = code && code->is_int64() ? static_cast<int>(code->as_int64())
                                               : gemini_error_status(status && status->is_string() ? std::string_view(status->as_string()) : "");
  if (e.upstream_status < 400 || e.upstream_status > 599) e.upstream_status = 502;
  if (msg && msg->is_string()) e.message += ": " + std::string(msg->as_string());
  e.upstream_error = json::serialize(error_object);
  return e;
}

}  // namespace

std::string_view gemini_finish_reason(std::string_view reason, bool called_tools) noexcept {
  if (reason == "MAX_TOKENS") return "length";
  if (reason == "SAFETY" || reason == "RECITATION" || reason == "BLOCKLIST" || reason == "PROHIBITED_CONTENT" ||
      reason == "SPII" || reason == "IMAGE_SAFETY") {
    return "content_filter";
  }
  if (called_tools) return "tool_calls";
  return "stop";  // STOP, LANGUAGE, OTHER, MALFORMED_FUNCTION_CALL, ...
}

int gemini_error_status(std::string_view status) noexcept {
  if (status == "INVALID_ARGUMENT" || status == "FAILED_PRECONDITION" || status == "OUT_OF_RANGE") return 400;
  if (status == "UNAUTHENTICATED") return 401;
  if (status == "PERMISSION_DENIED") return 403;
  if (status == "NOT_FOUND") return 404;
  if (status == "RESOURCE_EXHAUSTED") return 429;
  if (status == "CANCELLED") return 499;
  if (status == "UNAVAILABLE") return 503;
  if (status == "DEADLINE_EXCEEDED") return 504;
  return 500;
}

namespace {

// max_tokens, sampling numbers, stop sequences and the response format as Gemini's generationConfig.
json::object generation_config(const json::object& in) {
  json::object gen;
  for (const char* k : {"max_tokens", "max_completion_tokens"}) {
    if (const auto* v = in.if_contains(k); v && v->is_int64()) gen["maxOutputTokens"] = v->as_int64();
  }
  static constexpr std::pair<const char*, const char*> numbers[] = {
      {"temperature", "temperature"}, {"top_p", "topP"}, {"presence_penalty", "presencePenalty"},
      {"frequency_penalty", "frequencyPenalty"}, {"seed", "seed"}};  // "n" is not mapped: only the first candidate is read
  for (auto [from, to] : numbers) {
    if (const auto* v = in.if_contains(from); v && v->is_number()) gen[to] = *v;
  }
  if (const auto* stop = in.if_contains("stop")) {
    if (stop->is_string()) gen["stopSequences"] = json::array{*stop};
    else if (stop->is_array()) gen["stopSequences"] = *stop;
  }
  // reasoning_effort → a thinking budget, thought summaries asked for (they come back as reasoning_content).
  if (const auto* e = in.if_contains("reasoning_effort"); e && e->is_string()) {
    const std::string_view effort = e->as_string();
    const std::int64_t budget = effort == "none" ? 0 : effort == "minimal" || effort == "low" ? 1024 : effort == "medium" ? 8192
                                : effort == "high" || effort == "xhigh" || effort == "max" ? 24576 : -1;
    if (budget >= 0) gen["thinkingConfig"] = json::object{{"thinkingBudget", budget}, {"includeThoughts", budget > 0}};
  }
  if (const auto* rf = in.if_contains("response_format"); rf && rf->is_object()) {
    const auto* type = rf->as_object().if_contains("type");
    if (type && type->is_string() && type->as_string() == "json_object") {
      gen["responseMimeType"] = "application/json";
    } else if (type && type->is_string() && type->as_string() == "json_schema") {
      gen["responseMimeType"] = "application/json";
      const auto* js = rf->as_object().if_contains("json_schema");
      if (const auto* schema = js && js->is_object() ? js->as_object().if_contains("schema") : nullptr) gen["responseJsonSchema"] = *schema;
    }
  }
  return gen;
}

// Function tools as functionDeclarations, tool_choice as toolConfig.
result<void> add_tools(const json::object& in, json::object& out) {
  if (const auto* tools = in.if_contains("tools"); tools && tools->is_array() && !tools->as_array().empty()) {
    json::array decls;
    for (const auto& tv : tools->as_array()) {
      const auto* fn = tv.is_object() ? tv.as_object().if_contains("function") : nullptr;
      if (!fn || !fn->is_object()) return bad_request("tools must be {\"type\":\"function\",\"function\":{...}}");
      const auto& f = fn->as_object();
      json::object decl{{"name", f.at("name")}};
      if (const auto* d = f.if_contains("description")) decl["description"] = *d;
      // JSON Schema as the client wrote it (parameters would want Gemini's OpenAPI subset).
      if (const auto* p = f.if_contains("parameters")) decl["parametersJsonSchema"] = *p;
      decls.push_back(std::move(decl));
    }
    out["tools"] = json::array{json::object{{"functionDeclarations", std::move(decls)}}};
  }
  if (const auto* tc = in.if_contains("tool_choice")) {
    json::object config;
    if (tc->is_string()) {
      const std::string_view choice = tc->as_string();
      config["mode"] = choice == "none" ? "NONE" : choice == "required" ? "ANY" : "AUTO";
    } else if (tc->is_object()) {
      if (const auto* fn = tc->as_object().if_contains("function"); fn && fn->is_object()) {
        config["mode"] = "ANY";
        config["allowedFunctionNames"] = json::array{fn->as_object().at("name")};
      }
    }
    if (!config.empty()) out["toolConfig"] = json::object{{"functionCallingConfig", std::move(config)}};
  }
  return {};
}

}  // namespace

result<json::object> openai_to_gemini_request(const json::object& in) {
  try {
    std::string system;
    json::array contents;
    std::map<std::string, std::string, std::less<>> call_names;  // tool_call_id → function name
    auto walked = for_each_message(in, system, [&](std::string_view role, const json::object& m, const json::value& content) -> result<void> {
      if (role == "tool") {
        const std::string_view id = m.at("tool_call_id").as_string();
        auto name = call_names.find(id);
        if (name == call_names.end()) {
          return bad_request("tool message for '" + std::string(id) + "', which no earlier assistant message called");
        }
        append_turn(contents, "user", "parts",
                    json::array{json::object{{"functionResponse", json::object{{"name", name->second}, {"response", function_response(content)}}}}});
        return {};
      }
      auto parts = convert_parts(content, kParts);
      if (!parts) return parts.error();
      auto calls = for_each_tool_call(m, [&](std::string_view id, std::string_view name, json::object args) -> result<void> {
        call_names[std::string(id)] = std::string(name);
        parts->push_back(json::object{{"functionCall", json::object{{"name", name}, {"args", std::move(args)}}}});
        return {};
      });
      if (!calls) return calls.error();
      append_turn(contents, role == "assistant" ? "model" : "user", "parts", std::move(*parts));
      return {};
    });
    if (!walked) return walked.error();
    json::object out;
    out["contents"] = std::move(contents);
    if (!system.empty()) out["systemInstruction"] = json::object{{"parts", json::array{json::object{{"text", system}}}}};

    json::object gen = generation_config(in);
    if (!gen.empty()) out["generationConfig"] = std::move(gen);

    if (auto ok = add_tools(in, out); !ok) return ok.error();
    return out;
  } catch (const std::exception&) {  // a field of the wrong shape (json::value::at / as_* throw)
    return bad_request("the request does not have the shape of a chat completion (messages, tools, tool_calls)");
  }
}

result<std::string> gemini_to_openai_response(std::string_view body, std::string_view model, Usage& usage) {
  try {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "sent a response that is not JSON");
    const auto& r = v.as_object();
    if (const auto* err = r.if_contains("error"); err && err->is_object()) return error_of(err->as_object());
    usage = Usage{};
    if (const auto* meta = r.if_contains("usageMetadata"); meta && meta->is_object()) usage = gemini_usage(meta->as_object());
    Answer answer;
    std::string_view finish;
    if (const auto* candidate = first_candidate(r)) {
      answer = read_parts(*candidate);
      const auto* fr = candidate->if_contains("finishReason");
      finish = gemini_finish_reason(fr && fr->is_string() ? std::string_view(fr->as_string()) : "STOP", !answer.calls.empty());
    } else if (!block_reason(r).empty()) {
      finish = "content_filter";  // the prompt itself was blocked
    } else {
      return make_error(errc::upstream_bad_response, "sent a response without candidates");
    }
    json::object message{{"role", "assistant"},
                         {"content", answer.text.empty() && !answer.calls.empty() ? json::value(nullptr) : json::value(answer.text)}};
    if (!answer.reasoning.empty()) message["reasoning_content"] = answer.reasoning;  // the DeepSeek / OpenRouter convention
    if (!answer.calls.empty()) {
      json::array calls;
      std::int64_t i = 0;
      for (const auto& c : answer.calls) calls.push_back(tool_call(c.as_object(), i++, false));
      message["tool_calls"] = std::move(calls);
    }
    const auto* rid = r.if_contains("responseId");
    json::object out{{"id", rid && rid->is_string() ? json::value(*rid) : json::value("chatcmpl-gemini")},
                     {"object", "chat.completion"},
                     {"created", 0},
                     {"model", model},
                     {"choices", json::array{json::object{{"index", 0}, {"message", std::move(message)}, {"logprobs", nullptr}, {"finish_reason", finish}}}},
                     {"usage", openai_usage_json(usage)}};
    return json::serialize(out);
  } catch (const std::exception&) {
    return make_error(errc::upstream_bad_response, "sent a response that does not have the generateContent shape");
  }
}

result<void> GeminiStreamTranslator::on_frame(std::string_view data, std::vector<std::string>& out) {
  boost::system::error_code ec;
  auto v = json::parse(data, ec);
  if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "sent an unparsable stream frame");
  try {
    return translate(v.as_object(), out);
  } catch (const std::exception&) {
    return make_error(errc::upstream_bad_response, "sent a stream frame that does not have the generateContent shape");
  }
}

result<void> GeminiStreamTranslator::translate(const json::object& frame, std::vector<std::string>& out) {
  if (const auto* err = frame.if_contains("error"); err && err->is_object()) return error_of(err->as_object());
  if (!started_) {
    if (const auto* rid = frame.if_contains("responseId"); rid && rid->is_string()) out_.set_id(rid->as_string());
    out.push_back(out_.chunk(R"({"role":"assistant","content":""})"));
    started_ = true;
  }
  if (const auto* meta = frame.if_contains("usageMetadata"); meta && meta->is_object()) usage_ = gemini_usage(meta->as_object());
  const auto* candidate = first_candidate(frame);
  if (!candidate) {
    if (!block_reason(frame).empty() && !finished_) {
      out.push_back(out_.chunk("{}", "content_filter"));
      finished_ = true;
    }
    return {};
  }
  const Answer answer = read_parts(*candidate);
  if (!answer.reasoning.empty()) out.push_back(out_.chunk(json::serialize(json::object{{"reasoning_content", answer.reasoning}})));
  if (!answer.text.empty()) {
    out.push_back(out_.chunk(json::serialize(json::object{{"content", answer.text}})));
    if (!usage_.reported) ++usage_.completion_tokens;
  }
  for (const auto& c : answer.calls) {
    out.push_back(out_.chunk(json::serialize(json::object{{"tool_calls", json::array{tool_call(c.as_object(), tools_++, true)}}})));
  }
  if (const auto* fr = candidate->if_contains("finishReason"); fr && fr->is_string() && !finished_) {
    out.push_back(out_.chunk("{}", gemini_finish_reason(fr->as_string(), tools_ > 0)));
    finished_ = true;
  }
  return {};
}

result<void> GeminiStreamTranslator::on_end(std::vector<std::string>& out) {
  if (!finished_) return make_error(errc::upstream_reset, "ended the stream before a finishReason");
  if (out_.include_usage()) out.push_back(out_.usage_chunk(usage_));
  return {};
}

Usage gemini_response_usage(std::string_view body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  const auto* meta = !ec && v.is_object() ? v.as_object().if_contains("usageMetadata") : nullptr;
  if (!meta || !meta->is_object()) return Usage{};
  return gemini_usage(meta->as_object());
}

result<void> GeminiEvents::read(std::string_view, std::string_view data, Usage& usage, bool& finished) const {
  boost::system::error_code ec;
  auto v = json::parse(data, ec);
  if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "sent an unparsable stream frame");
  const auto& frame = v.as_object();
  if (const auto* e = frame.if_contains("error"); e && e->is_object()) {
    Error err = make_error(errc::upstream_status, "failed mid-stream");
    const auto* code = e->as_object().if_contains("code");
    err.upstream_status = code && code->is_int64() ? static_cast<int>(code->as_int64()) : 500;
    if (const auto* m = e->as_object().if_contains("message"); m && m->is_string()) err.message += ": " + std::string(m->as_string());
    return err;
  }
  if (const auto* meta = frame.if_contains("usageMetadata"); meta && meta->is_object()) usage = gemini_usage(meta->as_object());
  if (const auto* cands = frame.if_contains("candidates"); cands && cands->is_array()) {
    for (const auto& c : cands->as_array()) {
      if (c.is_object() && c.as_object().contains("finishReason")) finished = true;
    }
  }
  return {};
}

}  // namespace switchyard::providers
