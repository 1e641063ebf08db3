// Resolving the node identity at start-up, as the reference's
// resolve_identity() does:
//   1. node.identity.nsec set -> that key (bech32 nsec1... or 64 hex);
//   2. key files live beside the last loaded config file (fips.key,
//      fips.pub), or in /etc/fips when no file was loaded;
//   3. persistent: true -> reuse fips.key, or generate and write it (a failed
//      write only warns and runs with an ephemeral key);
//   4. otherwise generate a fresh key each start and overwrite fips.key /
//      fips.pub for visibility, warning when an existing key is replaced.
// Log lines are returned for the caller to print (nothing is logged here).
// Not here: reading/writing the files (keyfile.h), config parsing (load.h).
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "config/load.h"
#include "identity/identity.h"
#include "util/result.h"

namespace fips {

inline constexpr const char* kSystemConfigDir = "/etc/fips";

enum class IdentitySource : uint8_t {
  kConfig,     // node.identity.nsec
  kKeyFile,    // loaded from fips.key
  kGenerated,  // generated and saved to fips.key
  kEphemeral,  // generated, not kept (by choice, or the key file could not be written)
};

struct IdentityLogLine {
  LogLevel level;
  std::string text;  // "message key=value ..." in the reference's wording
};

struct ResolvedIdentity {
  Identity identity;
  IdentitySource source;
  std::string key_path;  // the fips.key path considered (empty for kConfig)
  // Value for show_status.persistent. The reference daemon writes the
  // resolved nsec into its config before building the node and reports
  // `persistent || nsec.is_some()`, so it always says true; so do we.
  bool persistent = true;
  // Whether the same identity comes back on the next start.
  bool survives_restart = false;
  std::vector<IdentityLogLine> log;
};

// Directory of the key files: parent of cfg.loaded_paths.back() ("" means the
// current directory, as for a bare "fips.yaml"), else /etc/fips.
std::string identity_key_dir(const Config& cfg);

// Errors (the daemon exits 1): a bad node.identity.nsec, an unreadable or
// empty fips.key, or one that does not hold a valid key. Messages never
// contain key material.
[[nodiscard]] Result<ResolvedIdentity, std::string> resolve_identity_in(const Config& cfg,
                                                                        const std::string& key_dir);
[[nodiscard]] Result<ResolvedIdentity, std::string> resolve_identity(const Config& cfg);

}  // namespace fips
