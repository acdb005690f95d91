#include "providers/bedrock_invoke.hpp"

#include <boost/json.hpp>

#include "text/base64.hpp"

namespace switchyard::providers {

namespace json = boost::json;

bool bedrock_anthropic_model(std::string_view model) noexcept {
  if (model.substr(0, 10) == "anthropic.") return true;
  const auto dot = model.find('.');  // a region prefix: "us.", "eu.", "apac.", "global."
  return dot != std::string_view::npos && dot <= 6 && model.substr(dot + 1, 10) == "anthropic.";
}

std::string bedrock_invoke_body(const NativeRequest& native) {
  json::object body;
  body.reserve(native.body.size() + 2);
  if (!native.body.contains("anthropic_version")) body["anthropic_version"] = "bedrock-2023-05-31";
  for (const auto& [k, v] : native.body) {
    if (k == "model" || k == "stream") continue;
    body[k] = v;
  }
  json::array betas;
  for (const auto& [k, v] : native.headers) {
    if (k != "anthropic-beta") continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string_view one = rest.substr(0, comma);
      rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
      while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
      while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
      if (!one.empty()) betas.emplace_back(one);
    }
  }
  if (!betas.empty() && !body.contains("anthropic_beta")) body["anthropic_beta"] = std::move(betas);
  return json::serialize(body);
}

result<void> BedrockChunkPassthrough::on_event(std::string_view event, std::string_view data, std::vector<std::string>& out) {
  if (event != "chunk") return {};  // nothing else is modelled; later additions skipped
  boost::system::error_code ec;
  auto v = json::parse(data, ec);
  const auto* bytes = !ec && v.is_object() ? v.as_object().if_contains("bytes") : nullptr;
  if (!bytes || !bytes->is_string()) return make_error(errc::upstream_bad_response, "sent a chunk without bytes");
  decoded_.clear();
  if (!text::decode_base64(bytes->as_string(), decoded_)) return make_error(errc::upstream_bad_response, "sent a chunk that is not base64");
  auto inner = json::parse(decoded_, ec);
  const auto* type = !ec && inner.is_object() ? inner.as_object().if_contains("type") : nullptr;
  if (!type || !type->is_string()) return {};  // as the Anthropic SDK does: a chunk without a type is dropped
  const std::string name(type->as_string());
  return inner_.on_event(name, decoded_, out);
}

}  // namespace switchyard::providers
