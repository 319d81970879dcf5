// The Kite access token on disk (docs/ORDERS.md "Tokens"). `sm-order login` writes it after the
// request-token exchange; a running sm-order watches the file and switches to a new token without a
// restart. The file is a secrets file in the KEY=VALUE format of core/secrets.h, so read_secret can
// read it too:
//   SM_KITE_ACCESS_TOKEN=<token>
//   SM_KITE_TOKEN_ISSUED_AT=2024-03-28T03:31:02.000Z      (UTC; the login time Kite reported)
//   SM_KITE_USER_ID=AB1234
// It must be a regular file owned by us with mode 0600 or stricter; it is written only by
// write_token_file (temporary file, fsync, rename, fsync of the directory), so a reader never sees
// half a token.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "core/timestamp.h"

namespace sm::broker {

struct AccessToken {
  std::string access_token;
  TimestampMs issued_at = 0;  // 0 = unknown (no local expiry check)
  std::string user_id;
};

// Reads the token file. kNotFound when it does not exist; kPermissionDenied when it is not 0600
// and ours (the message says how to fix it); kConfigError when it has no SM_KITE_ACCESS_TOKEN or a
// line is malformed ("path:line: ..." without the line's text); kIoError when unreadable.
Result<AccessToken> read_token_file(const std::string& path);

// Replaces the token file atomically with mode 0600, creating its directory when missing.
// kIoError naming the path on failure (the old file is then untouched). Never logs the token.
Status write_token_file(const std::string& path, const AccessToken& token);

// Notices when the token file changes (written again, replaced, created or removed) by its inode,
// size and modification time, which a stat() per loop reads cheaply.
class TokenWatcher {
 public:
  explicit TokenWatcher(std::string path) : path_(std::move(path)) {}

  // When the file differs from the last call (the first call counts as a change if the file
  // exists), reads it: the new token, or the read error. nullopt when nothing changed or the file
  // is absent.
  std::optional<Result<AccessToken>> poll();
  const std::string& path() const { return path_; }

 private:
  struct Stamp {
    bool exists = false;
    ino_t inode = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  std::string path_;
  std::optional<Stamp> last_;
};

}  // namespace sm::broker
