#include "server/admin_api.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>

#include "org/organisation.hpp"
#include "server/request_context.hpp"

namespace switchyard::server {

namespace asio = boost::asio;
namespace json = boost::json;
using boost::beast::http::verb;
using pipeline::Access;

namespace {
using Outcome = result<json::value>;

// The request body as a JSON object (an empty body: {}).
result<json::object> body_object(RequestContext& r) {
  if (r.body.empty()) return json::object();
  auto parsed = r.json.parse(r.body);
  if (!parsed) return parsed.error();
  if (!parsed->is_object()) return make_error(errc::invalid_field, "the request body must be a JSON object");
  return parsed->as_object();
}

org::Actor actor_of(RequestContext& r) {
  boost::system::error_code ec;
  const auto peer = r.stream.socket().remote_endpoint(ec);
  return org::Actor{r.admin_subject.empty() ? "admin-key" : "jwt:" + r.admin_subject, ec ? std::string() : peer.address().to_string()};
}

// A path segment with its %XX escapes decoded (a client may send '@' or ':' as %40, %3A);
// a bad escape is kept as it is (no name has '%': it is not found).
std::string decoded(std::string_view segment) {
  std::string out;
  for (std::size_t i = 0; i < segment.size(); ++i) {
    auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
    if (segment[i] == '%' && i + 2 < segment.size() && hex(segment[i + 1]) >= 0 && hex(segment[i + 2]) >= 0) {
      out += static_cast<char>(hex(segment[i + 1]) * 16 + hex(segment[i + 2]));
      i += 2;
    } else {
      out += segment[i];
    }
  }
  return out;
}

// "/admin/keys/{name}[/rotate]" → {name, rest}.
std::pair<std::string, std::string> split_name(std::string_view path, std::string_view base) {
  std::string_view rest = path.substr(base.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return {decoded(rest), {}};
  return {decoded(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

template <class T>
Outcome as_value(result<T> r) {
  if (!r) return r.error();
  return json::value(std::move(*r));
}
}  // namespace

std::vector<EndpointSpec> AdminApi::endpoints() {
  auto keys = [this](RequestContext& r) { return this->keys(r); };
  auto key = [this](RequestContext& r) { return this->key(r); };
  auto teams = [this](RequestContext& r) { return this->teams(r); };
  auto team = [this](RequestContext& r) { return this->team(r); };
  auto audit = [this](RequestContext& r) { return this->audit(r); };
  return {
      {"/admin/keys", verb::get, Access::admin_key, false, ErrorShape::openai, keys},
      {"/admin/keys", verb::post, Access::admin_key, true, ErrorShape::openai, keys},
      {"/admin/keys/", verb::get, Access::admin_key, false, ErrorShape::openai, key, true},
      {"/admin/keys/", verb::patch, Access::admin_key, true, ErrorShape::openai, key, true},
      {"/admin/keys/", verb::delete_, Access::admin_key, false, ErrorShape::openai, key, true},
      {"/admin/keys/", verb::post, Access::admin_key, true, ErrorShape::openai, key, true},
      {"/admin/teams", verb::get, Access::admin_key, false, ErrorShape::openai, teams},
      {"/admin/teams", verb::post, Access::admin_key, true, ErrorShape::openai, teams},
      {"/admin/teams/", verb::get, Access::admin_key, false, ErrorShape::openai, team, true},
      {"/admin/teams/", verb::patch, Access::admin_key, true, ErrorShape::openai, team, true},
      {"/admin/teams/", verb::delete_, Access::admin_key, false, ErrorShape::openai, team, true},
      {"/admin/audit", verb::get, Access::admin_key, false, ErrorShape::openai, audit},
  };
}

namespace {
// Runs `action` on the main reactor (where the organisation lives), waits until every worker
// installed what it changed, and answers `status` with its JSON (or its error).
template <class Action>
asio::awaitable<void> run_on_main(RequestContext& r, Gateway& gateway, const asio::any_io_executor& main, unsigned status, Action action) {
  Outcome out = co_await asio::co_spawn(main, std::move(action), asio::use_awaitable);
  co_await gateway.settled();
  if (!out) co_return co_await r.respond_error(out.error());
  co_await r.respond_json(status, json::serialize(*out));
}
}  // namespace

asio::awaitable<void> AdminApi::keys(RequestContext& r) {
  auto& org = gateway_.organisation();
  if (r.head.method != verb::post) {
    auto action = [&org]() -> asio::awaitable<Outcome> { co_return json::value(json::object{{"keys", org.keys()}}); };
    co_await run_on_main(r, gateway_, main_, 200, std::move(action));
    co_return;
  }
  auto body = body_object(r);
  if (!body) co_return co_await r.respond_error(body.error());
  auto action = [&org, b = std::move(*body), a = actor_of(r)]() mutable -> asio::awaitable<Outcome> {
    co_return as_value(co_await org.create_key(std::move(b), std::move(a)));
  };
  co_await run_on_main(r, gateway_, main_, 201, std::move(action));
}

asio::awaitable<void> AdminApi::key(RequestContext& r) {
  auto& org = gateway_.organisation();
  auto [name, rest] = split_name(r.head.path(), "/admin/keys/");
  const bool rotate = rest == "rotate" && r.head.method == verb::post;
  if (name.empty() || (!rest.empty() && !rotate) || (rest.empty() && r.head.method == verb::post)) {
    co_return co_await r.respond_error(make_error(errc::not_found, "use /admin/keys/{name} (GET, PATCH, DELETE) or POST /admin/keys/{name}/rotate"));
  }
  auto body = body_object(r);
  if (!body) co_return co_await r.respond_error(body.error());
  const auto method = r.head.method;
  auto action = [&org, method, rotate, name, b = std::move(*body), a = actor_of(r)]() mutable -> asio::awaitable<Outcome> {
    if (rotate) co_return as_value(co_await org.rotate_key(name, std::move(b), std::move(a)));
    if (method == verb::patch) co_return as_value(co_await org.update_key(name, std::move(b), std::move(a)));
    if (method == verb::delete_) co_return as_value(co_await org.revoke_key(name, std::move(a)));
    co_return as_value(org.key(name));
  };
  co_await run_on_main(r, gateway_, main_, 200, std::move(action));
}

asio::awaitable<void> AdminApi::teams(RequestContext& r) {
  auto& org = gateway_.organisation();
  if (r.head.method != verb::post) {
    auto action = [&org]() -> asio::awaitable<Outcome> { co_return json::value(json::object{{"teams", org.teams()}}); };
    co_await run_on_main(r, gateway_, main_, 200, std::move(action));
    co_return;
  }
  auto body = body_object(r);
  if (!body) co_return co_await r.respond_error(body.error());
  auto action = [&org, b = std::move(*body), a = actor_of(r)]() mutable -> asio::awaitable<Outcome> {
    co_return as_value(co_await org.create_team(std::move(b), std::move(a)));
  };
  co_await run_on_main(r, gateway_, main_, 201, std::move(action));
}

asio::awaitable<void> AdminApi::team(RequestContext& r) {
  auto& org = gateway_.organisation();
  auto [name, rest] = split_name(r.head.path(), "/admin/teams/");
  if (name.empty() || !rest.empty()) co_return co_await r.respond_error(make_error(errc::not_found, "use /admin/teams/{name} (GET, PATCH, DELETE)"));
  auto body = body_object(r);
  if (!body) co_return co_await r.respond_error(body.error());
  const auto method = r.head.method;
  auto action = [&org, method, name, b = std::move(*body), a = actor_of(r)]() mutable -> asio::awaitable<Outcome> {
    if (method == verb::patch) co_return as_value(co_await org.update_team(name, std::move(b), std::move(a)));
    if (method == verb::delete_) co_return as_value(co_await org.delete_team(name, std::move(a)));
    co_return as_value(org.team(name));
  };
  co_await run_on_main(r, gateway_, main_, 200, std::move(action));
}

asio::awaitable<void> AdminApi::audit(RequestContext& r) {
  std::size_t limit = 100;
  const std::string_view target = r.head.target;
  if (const auto at = target.find("limit="); at != std::string_view::npos) {
    const auto digits = target.substr(at + 6);
    std::from_chars(digits.data(), digits.data() + digits.size(), limit);
  }
  limit = std::clamp<std::size_t>(limit, 1, 1000);
  auto& org = gateway_.organisation();
  auto action = [&org, limit]() -> asio::awaitable<Outcome> {
    auto rows = co_await org.audit(limit);
    if (!rows) co_return rows.error();
    co_return json::value(json::object{{"entries", std::move(*rows)}});
  };
  co_await run_on_main(r, gateway_, main_, 200, std::move(action));
}

}  // namespace switchyard::server
