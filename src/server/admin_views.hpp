#pragma once
// The bodies of the read-only endpoints: GET /v1/models, GET /health and GET
// /v1/providers (admin), built from the gateway's state.
#include <switchyard/gateway.hpp>

#include <string>

namespace switchyard::server {

std::string models_json(const Gateway& gateway);
// "ok"; "degraded" when a configured route has no usable target (all circuits
// open or rate-limited); "stopping" while the server drains.
std::string health_json(const Gateway& gateway, bool stopping, std::size_t reactor = 0);
// Targets' health, pools and routing counters.
// `pool_stats`: Gateway::pools().
// GET /v1beta/models: the routes in Gemini's model list shape.
std::string gemini_models_json(const Gateway& gateway);
std::string providers_json(const Gateway& gateway, const std::vector<ProviderStats>& pool_stats, std::size_t reactor = 0);
// POST /admin/reload's answer: {"status": "reloaded", "config_hash", "changes": [...], "needs_restart": [...]}.
std::string reload_json(const ReloadOutcome& done);

}  // namespace switchyard::server
