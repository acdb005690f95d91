#pragma once
// Turns a socket/TLS/HTTP error code from an upstream operation into an Error
// that says which provider failed and how.
#include <switchyard/error.hpp>

#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace switchyard::upstream {

// `phase` says what we were doing: "connect", "TLS handshake", "sending the request", ...
Error io_error(const boost::system::error_code& ec, std::string_view phase, const std::string& provider);

}  // namespace switchyard::upstream
