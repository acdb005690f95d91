#pragma once
// The admin API for keys and teams (issue 28): /admin/keys, /admin/keys/{name}
// (GET, PATCH, DELETE = revoke), /admin/keys/{name}/rotate (POST),
// /admin/teams, /admin/teams/{name} (GET, PATCH, DELETE), /admin/audit. The
// actions run on the gateway's main reactor (org::Organisation) and answer
// once every worker runs the changed configuration: a key made is usable
// on the next request, whichever worker takes it. Errors in OpenAI's shape
// (invalid_request_error, not_found, conflict).
#include <switchyard/gateway.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "server/endpoints.hpp"

namespace switchyard::server {

struct RequestContext;

class AdminApi {
 public:
  AdminApi(Gateway& gateway, boost::asio::any_io_executor main) : gateway_(gateway), main_(std::move(main)) {}
  // The endpoint table's lines for the API.
  std::vector<EndpointSpec> endpoints();

  boost::asio::awaitable<void> keys(RequestContext& r);      // GET, POST /admin/keys
  boost::asio::awaitable<void> key(RequestContext& r);       // /admin/keys/{name}[/rotate]
  boost::asio::awaitable<void> teams(RequestContext& r);     // GET, POST /admin/teams
  boost::asio::awaitable<void> team(RequestContext& r);      // /admin/teams/{name}
  boost::asio::awaitable<void> audit(RequestContext& r);     // GET /admin/audit?limit=N

 private:
  Gateway& gateway_;
  boost::asio::any_io_executor main_;
};

}  // namespace switchyard::server
