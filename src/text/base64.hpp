#pragma once
// Standard, padded base64 (RFC 4648 §4), as OpenAI's embeddings use for
// `encoding_format: "base64"` vectors.
#include <string>
#include <string_view>

namespace switchyard::text {

// Appends the base64 text of `bytes` to `out`.
void append_base64(std::string& out, std::string_view bytes);

// Decodes standard padded base64; false (and `out` unspecified) for anything else.
bool decode_base64(std::string_view text, std::string& out);

// base64url without padding (RFC 4648 §5; JWT's and JWK's encoding), and back (padding optional).
std::string base64url(std::string_view bytes);
bool decode_base64url(std::string_view text, std::string& out);

}  // namespace switchyard::text
