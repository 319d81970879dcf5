// Secrets (API secrets, access tokens, bot tokens, routing keys) come only from the environment or
// from a file that only the current user can read. They never appear in code, in configuration
// files (those are hashed and recorded in the database), or in logs: nothing here logs, and no
// error message contains a secret's value. docs/CONFIG.md ("Secrets") is the user's guide.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace sm {

// Reads the secret `name` (an environment-variable style name such as "SM_KITE_API_SECRET"),
// trying in order:
//   1. the environment variable `name`, if set and non-empty;
//   2. the file named by the environment variable `<name>_FILE` (whole file, trailing newlines
//      removed), e.g. SM_KITE_API_SECRET_FILE=/etc/stalkmarket/kite_api_secret;
//   3. the secrets file `secrets_file` (or, if that is empty, $SM_SECRETS_FILE): lines of
//      KEY=VALUE, blank lines and # comments allowed, optional matching quotes around VALUE.
// Every file must be a regular file owned by the current user with mode 0600 or stricter (no
// permission beyond rw for the owner); otherwise kPermissionDenied with the fix (chmod 600 PATH).
// Other errors: kAuthError when the secret is not found anywhere (the message lists the places);
// kIoError when a file cannot be read; kConfigError for an empty secret or a malformed secrets
// file line ("path:line: ..." without the line's text).
Result<std::string> read_secret(std::string_view name, std::string_view secrets_file = {});

// Checks that path is a regular file owned by the current user with mode 0600 or stricter, and
// returns its content. kNotFound if it does not exist, kPermissionDenied (with the chmod/chown fix)
// if unsafe, kIoError if unreadable. The check and the read use the same open file descriptor.
Result<std::string> read_private_file(const std::string& path);

// What to print instead of a secret: "[redacted]", or "[empty]" for an empty one.
std::string redacted(std::string_view secret);

// Whether a configuration key (the last part of a dot path, any case) names a secret, e.g.
// api_secret, access_token, password, bot_token, routing_key, webhook_url. Config refuses such
// keys.
bool looks_like_secret_key(std::string_view key);

}  // namespace sm
