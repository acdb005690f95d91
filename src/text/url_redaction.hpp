#pragma once
// A URL as it may be printed (--check, logs, errors): credentials in its
// authority ("https://user:secret@host/") become "***@"; a query parameter
// whose name says it holds a secret (key, api_key, token, access_token,
// sig, signature, password) gets "***" for its value.
#include <string>
#include <string_view>

namespace switchyard::text {

std::string redact_url(std::string_view url);

}  // namespace switchyard::text
