#pragma once
// Shell-style glob match: '*' any run of characters, '?' one character.
#include <string_view>

namespace switchyard::auth {

bool glob_match(std::string_view pattern, std::string_view text) noexcept;

}  // namespace switchyard::auth
