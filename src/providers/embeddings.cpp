#include "providers/embeddings.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <bit>
#include <cstring>

#include "text/base64.hpp"

namespace switchyard::providers {

namespace json = boost::json;

namespace {

Error bad(std::string message) { return make_error(errc::invalid_request, std::move(message)); }

bool is_token_array(const json::value& v) {
  if (!v.is_array() || v.as_array().empty()) return false;
  for (const auto& t : v.as_array()) {
    if (!t.is_int64() && !t.is_uint64()) return false;
    if (t.is_int64() && t.as_int64() < 0) return false;
  }
  return true;
}

std::int64_t tokens_of(std::string_view text) { return std::max<std::int64_t>(1, static_cast<std::int64_t>((text.size() + 3) / 4)); }

}  // namespace

result<EmbeddingInputs> read_embedding_request(const json::object& body) {
  EmbeddingInputs out;
  const auto* input = body.if_contains("input");
  if (!input) return bad("'input' is required: a string, an array of strings or an array of token arrays");
  auto add_text = [&](const json::string& s) -> result<void> {
    if (s.empty()) return bad("'input' must not contain empty strings");
    out.texts.emplace_back(s.data(), s.size());
    out.estimated_tokens += tokens_of(out.texts.back());
    ++out.items;
    return {};
  };
  if (input->is_string()) {
    if (auto ok = add_text(input->as_string()); !ok) return ok.error();
  } else if (is_token_array(*input)) {
    out.items = 1;
    out.token_arrays = 1;
    out.estimated_tokens = static_cast<std::int64_t>(input->as_array().size());
  } else if (input->is_array() && !input->as_array().empty()) {
    const auto& items = input->as_array();
    if (items.size() > kMaxEmbeddingInputs) return bad("'input' has more than " + std::to_string(kMaxEmbeddingInputs) + " items");
    for (const auto& item : items) {
      if (item.is_string()) {
        if (auto ok = add_text(item.as_string()); !ok) return ok.error();
      } else if (is_token_array(item)) {
        ++out.items;
        ++out.token_arrays;
        out.estimated_tokens += static_cast<std::int64_t>(item.as_array().size());
      } else {
        return bad("'input' items must be strings or non-empty arrays of token ids");
      }
    }
  } else {
    return bad("'input' must be a string, a non-empty array of strings or an array of token arrays");
  }
  if (const auto* f = body.if_contains("encoding_format"); f && !f->is_null()) {
    if (!f->is_string() || (f->as_string() != "float" && f->as_string() != "base64")) {
      return bad("'encoding_format' must be \"float\" or \"base64\"");
    }
  }
  if (const auto* d = body.if_contains("dimensions"); d && !d->is_null()) {
    if (!(d->is_int64() && d->as_int64() > 0) && !(d->is_uint64() && d->as_uint64() > 0 && d->as_uint64() < (1u << 20))) {
      return bad("'dimensions' must be a positive integer");
    }
  }
  return out;
}

bool wants_base64(const json::object& body) noexcept {
  const auto* f = body.if_contains("encoding_format");
  return f && f->is_string() && f->as_string() == "base64";
}

bool append_float32_base64(std::string& out, const json::array& values) {
  std::string bytes;
  bytes.resize(values.size() * 4);
  char* p = bytes.data();
  for (const auto& v : values) {
    if (!v.is_number()) return false;
    const auto f = static_cast<float>(v.to_number<double>());
    auto bits = std::bit_cast<std::uint32_t>(f);
    if constexpr (std::endian::native == std::endian::big) bits = __builtin_bswap32(bits);
    const unsigned char le[4] = {static_cast<unsigned char>(bits), static_cast<unsigned char>(bits >> 8),
                                 static_cast<unsigned char>(bits >> 16), static_cast<unsigned char>(bits >> 24)};
    std::memcpy(p, le, 4);
    p += 4;
  }
  text::append_base64(out, bytes);
  return true;
}

result<std::string> embeddings_for_client(std::string body, bool base64, const std::string& provider) {
  if (!base64) return body;
  // Cheap test first: a base64 answer has no vector of numbers ("embedding":[).
  bool numbers = false;
  for (std::size_t at = body.find("\"embedding\""); at != std::string::npos; at = body.find("\"embedding\"", at + 1)) {
    std::size_t i = at + 11;
    while (i < body.size() && (body[i] == ' ' || body[i] == ':' || body[i] == '\n' || body[i] == '\t' || body[i] == '\r')) ++i;
    if (i < body.size() && body[i] == '[') {
      numbers = true;
      break;
    }
  }
  if (!numbers) return body;
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "embeddings answer is not a JSON object", provider);
  auto* data = v.as_object().if_contains("data");
  if (!data || !data->is_array()) return make_error(errc::upstream_bad_response, "embeddings answer has no 'data' array", provider);
  for (auto& item : data->as_array()) {
    auto* e = item.is_object() ? item.as_object().if_contains("embedding") : nullptr;
    if (!e || !e->is_array()) continue;
    std::string encoded;
    if (!append_float32_base64(encoded, e->as_array())) {
      return make_error(errc::upstream_bad_response, "embeddings answer has a vector that is not numbers", provider);
    }
    *e = json::string(encoded);
  }
  return json::serialize(v);
}

result<std::string> openai_to_gemini_embeddings(const json::object& body, std::string_view model) {
  auto inputs = read_embedding_request(body);
  if (!inputs) return inputs.error();
  if (inputs->token_arrays > 0) return bad("Gemini embeds text only: token-array inputs need an OpenAI-type target");
  if (model.substr(0, 7) == "models/") model.remove_prefix(7);
  const std::string model_name = "models/" + std::string(model);
  std::int64_t dimensions = 0;
  if (const auto* d = body.if_contains("dimensions"); d && d->is_number()) dimensions = d->to_number<std::int64_t>();
  json::array requests;
  requests.reserve(inputs->texts.size());
  for (const auto text : inputs->texts) {
    json::object r{{"model", model_name},
                   {"content", json::object{{"parts", json::array{json::object{{"text", text}}}}}}};
    if (dimensions > 0) r["outputDimensionality"] = dimensions;
    requests.emplace_back(std::move(r));
  }
  return json::serialize(json::object{{"requests", std::move(requests)}});
}

result<std::string> openai_embeddings_list(const std::vector<const json::array*>& vectors, std::string_view model, bool base64,
                                           std::int64_t prompt_tokens) {
  std::string out = "{\"object\":\"list\",\"data\":[";
  std::size_t index = 0;
  for (const auto* values : vectors) {
    if (index) out += ',';
    out += "{\"object\":\"embedding\",\"index\":";
    out += std::to_string(index++);
    out += ",\"embedding\":";
    if (base64) {
      out += '"';
      if (!append_float32_base64(out, *values)) return make_error(errc::upstream_bad_response, "sent an embedding with values that are not numbers");
      out += '"';
    } else {
      for (const auto& x : *values) {
        if (!x.is_number()) return make_error(errc::upstream_bad_response, "sent an embedding with values that are not numbers");
      }
      out += json::serialize(*values);
    }
    out += '}';
  }
  out += "],\"model\":";
  out += json::serialize(json::value(json::string(model)));
  out += ",\"usage\":{\"prompt_tokens\":";
  out += std::to_string(prompt_tokens);
  out += ",\"total_tokens\":";
  out += std::to_string(prompt_tokens);
  out += "}}";
  return out;
}

result<std::string> gemini_to_openai_embeddings(std::string_view body, std::string_view model, bool base64, std::size_t expected,
                                                std::int64_t prompt_tokens) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return make_error(errc::upstream_bad_response, "Gemini embeddings answer is not a JSON object");
  const auto* list = v.as_object().if_contains("embeddings");
  if (!list || !list->is_array()) return make_error(errc::upstream_bad_response, "Gemini embeddings answer has no 'embeddings' array");
  if (list->as_array().size() != expected) {
    return make_error(errc::upstream_bad_response, "Gemini returned " + std::to_string(list->as_array().size()) + " embeddings for " +
                                                       std::to_string(expected) + " inputs");
  }
  std::vector<const json::array*> vectors;
  for (const auto& e : list->as_array()) {
    const auto* values = e.is_object() ? e.as_object().if_contains("values") : nullptr;
    if (!values || !values->is_array()) return make_error(errc::upstream_bad_response, "a Gemini embedding has no 'values' array");
    vectors.push_back(&values->as_array());
  }
  return openai_embeddings_list(vectors, model, base64, prompt_tokens);
}

}  // namespace switchyard::providers
