#include "pipeline/resolve_stage.hpp"

#include "auth/key_store.hpp"
#include "pipeline/generation.hpp"
#include "providers/embeddings.hpp"
#include "providers/server_tools.hpp"

namespace switchyard::pipeline {

namespace {
const boost::json::object& body_of(const Exchange& ex) {
  return ex.op == Operation::count_tokens && ex.request.native ? ex.request.native->body : ex.request.body;
}

std::optional<Error> shape_refused(const Exchange& ex) {
  const auto* model = body_of(ex).if_contains("model");
  if (!model || !model->is_string()) return make_error(errc::invalid_request, "'model' is required and must be a string");
  if (ex.op == Operation::embeddings) {
    if (auto inputs = providers::read_embedding_request(ex.request.body); !inputs) return inputs.error();
  } else if (ex.op == Operation::chat) {
    const auto* messages = ex.request.body.if_contains("messages");
    if (!messages || !messages->is_array() || messages->as_array().empty()) {
      return make_error(errc::invalid_request, "'messages' is required and must be a non-empty array");
    }
  }
  if (model->as_string().size() > kMaxModelName || model->as_string().empty()) {
    return make_error(errc::invalid_request, "'model' must be 1 to " + std::to_string(kMaxModelName) + " bytes long");
  }
  return std::nullopt;
}

// A key with a budget may not use a "provider/model" (or default-provider) name whose
// model no route prices: its answers would cost $0 and never reach the budget.
std::optional<Error> unpriced_for_budget(const Generation& g, const auth::KeyEntry* key, const routing::RoutePlan& plan) {
  if (!key || plan.route_config || key->index >= g.config.keys.size() || !g.config.keys[key->index].budget) return std::nullopt;
  for (const auto& t : plan.targets()) {
    if (t.priced()) continue;
    return make_error(errc::model_not_allowed,
                      "the key '" + key->name + "' has a budget, and the model '" + std::string(plan.route) +
                          "' has no price in the gateway's configuration (no route lists it with input_price/output_price): "
                          "use a configured model, or ask the operator to price this one");
  }
  return std::nullopt;
}

// `server_tools = false` on the route or the key: a request for a tool the provider runs
// (and bills beyond tokens) is refused before it goes anywhere.
std::optional<Error> server_tools_refused(const Generation& g, const Exchange& ex) {
  const auto& plan = ex.plan;
  const bool route_allows = !plan.route_config || plan.route_config->server_tools;
  const KeyConfig* key = ex.key && ex.key->index < g.config.keys.size() ? &g.config.keys[ex.key->index] : nullptr;
  const bool key_allows = !key || key->server_tools;
  if (route_allows && key_allows) return std::nullopt;
  const auto tool = providers::server_tool_in(ex.request.native ? ex.request.native->body : ex.request.body);
  if (tool.empty()) return std::nullopt;
  return make_error(errc::invalid_request, "the tool '" + tool + "' runs at the provider and is not allowed " +
                                               (route_allows ? "for the key '" + key->name + "'" : "on the model '" + std::string(plan.route) + "'") +
                                               " (server_tools = false); use function tools, run by the client");
}
}  // namespace

std::string_view requested_model(const Exchange& ex) {
  const auto* model = body_of(ex).if_contains("model");
  if (!model || !model->is_string()) return {};
  const std::string_view name = model->as_string();
  return name.substr(0, kMaxModelName);
}

std::optional<Error> resolve(Exchange& ex) {
  ex.route = requested_model(ex);  // named in the ledger row even when refused
  if (auto refused = shape_refused(ex)) return refused;
  if (ex.key && !auth::KeyStore::allows(*ex.key, ex.route)) {
    return make_error(errc::model_not_allowed, "this key may not use the model '" + ex.route + "'");
  }
  Generation& g = *ex.gen;
  auto plan = g.resolver.resolve(ex.route);
  if (!plan) return plan.error();
  ex.plan = *plan;
  if (ex.op == Operation::count_tokens) return std::nullopt;
  if (auto unpriced = unpriced_for_budget(g, ex.key, ex.plan)) return unpriced;
  return server_tools_refused(g, ex);
}

}  // namespace switchyard::pipeline
