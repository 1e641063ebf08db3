// Identity key files: fips.key (nsec, mode 0600) and fips.pub (npub, 0644),
// written as the reference writes them (O_NOFOLLOW, mode enforced on the key).
// Not here: YAML config (config/config.h), key semantics (identity/).
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace fips {

inline constexpr const char* kKeyFilename = "fips.key";
inline constexpr const char* kPubFilename = "fips.pub";

// Errors carry a complete operator-facing message.
using FileResult = Result<void, std::string>;

// Writes "<nsec>\n"; refuses a symlink at path; forces mode 0600 before writing.
[[nodiscard]] FileResult write_key_file(const std::string& path, std::string_view nsec);
// Writes "<npub>\n"; refuses a symlink; mode 0644 at creation only.
[[nodiscard]] FileResult write_pub_file(const std::string& path, std::string_view npub);
// Reads the first line of a key file (trimmed). Error if missing/unreadable/empty.
[[nodiscard]] Result<std::string, std::string> read_key_file(const std::string& path);
// mkdir -p with mode 0755 for new components.
[[nodiscard]] FileResult make_dirs(const std::string& path);

}  // namespace fips
