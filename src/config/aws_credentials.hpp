#pragma once
// Where a bedrock provider's AWS credentials come from when its config does
// not give them (access_key_id / secret_access_key / session_token absent or
// their variables unset): botocore's order, the part a daemon uses: the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
// then the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or
// ~/.aws/credentials) at the profile AWS_PROFILE (default "default").
// Read at every load, so a reload picks up rotated credentials.
#include <optional>
#include <string>
#include <string_view>

#include "config/env_expander.hpp"

namespace switchyard::config {

struct AwsKeys {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string source;  // "config", "environment", "<file> [profile]": shown by --check, never a secret
};

// The keys of [profile] in a credentials file's INI text; nullopt when the profile or its two keys are absent.
std::optional<AwsKeys> read_aws_profile(std::string_view ini, std::string_view profile);

// The environment, then the credentials file; nullopt when neither has keys.
std::optional<AwsKeys> discover_aws_credentials(const EnvLookup& env);

}  // namespace switchyard::config
