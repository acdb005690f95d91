#pragma once
// The resolve stage: what the exchange asks for and where it may go. Checks
// the request's shape for its operation ('model', 'messages', embeddings'
// 'input'), the key's model allowlist, resolves the route plan, and refuses
// what the configuration rules out before anything is sent: a budgeted key
// on a model no route prices, a provider-run tool where server_tools = false.
#include <switchyard/error.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

#include "pipeline/exchange.hpp"

namespace switchyard::pipeline {

// Longest model name a request may ask for (longer ones get 400): names
// become target names, log fields and metric labels.
inline constexpr std::size_t kMaxModelName = 256;

// The model name the exchange asks for, as far as it can be read (for the
// ledger even when the request is refused): at most kMaxModelName bytes.
std::string_view requested_model(const Exchange& ex);

// Fills ex.route and ex.plan (ex.gen and ex.key set), or the error that ends the exchange.
std::optional<Error> resolve(Exchange& ex);

}  // namespace switchyard::pipeline
