#pragma once
// Spans as an OTLP/HTTP JSON ExportTraceServiceRequest (one resource, one
// scope): hex ids, integer enums, 64-bit integers as decimal strings, as
// opentelemetry-proto's JSON mapping asks. Sans-io.
#include <span>
#include <string>
#include <string_view>

#include "telemetry/span.hpp"

namespace switchyard::telemetry {

struct Resource {
  std::string service_name;
  std::string service_version;
  std::string instance_id;  // service.instance.id: this replica
};

std::string to_otlp_json(std::span<const Span> spans, const Resource& resource);

}  // namespace switchyard::telemetry
