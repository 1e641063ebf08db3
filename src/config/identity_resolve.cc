// Identity resolution; see identity_resolve.h.
#include "config/identity_resolve.h"

#include <sys/stat.h>

#include <cstdio>

#include "config/keyfile.h"
#include "crypto/secret.h"

namespace fips {
namespace {

std::string join_dir(const std::string& dir, const char* file) {
  if (dir.empty()) return file;
  if (dir.back() == '/') return dir + file;
  return dir + "/" + file;
}

struct Log {
  std::vector<IdentityLogLine> lines;
  void info(std::string t) { lines.push_back({LogLevel::kInfo, std::move(t)}); }
  void warn(std::string t) { lines.push_back({LogLevel::kWarn, std::move(t)}); }
};

// Reports a key file whose mode the daemon does not manage (it never
// rewrites an existing persistent key).
void warn_unmanaged_key_file(const std::string& path, Log& log) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (S_ISLNK(st.st_mode)) {
    log.warn(
        "Identity key file is a symlink; the daemon does not manage the mode of its target "
        "path=" +
        path);
    return;
  }
  if (S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    log.warn("Identity key file is accessible beyond its owner; expected mode 0600 path=" + path +
             " mode=" + mode);
  }
}

void write_pub(const std::string& pub_path, const Identity& id, Log& log) {
  if (auto r = write_pub_file(pub_path, id.npub()); !r)
    log.warn("Failed to write the public key file path=" + pub_path + " error=" + r.error());
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string identity_key_dir(const Config& cfg) {
  if (cfg.loaded_paths.empty()) return kSystemConfigDir;
  return parent_dir(cfg.loaded_paths.back());
}

Result<ResolvedIdentity, std::string> resolve_identity_in(const Config& cfg,
                                                          const std::string& key_dir) {
  Log log;
  if (cfg.node.nsec) {
    auto id = Identity::from_secret_str(*cfg.node.nsec);
    if (!id) return Err{"node.identity.nsec: " + id.error().message()};
    log.info("Using identity from configuration");
    return ResolvedIdentity{std::move(*id), IdentitySource::kConfig, "", true,
                            true,           std::move(log.lines)};
  }

  const std::string key_path = join_dir(key_dir, kKeyFilename);
  const std::string pub_path = join_dir(key_dir, kPubFilename);
  struct stat st {};

  if (cfg.node.persistent) {
    if (::stat(key_path.c_str(), &st) == 0) {
      auto text = read_key_file(key_path);
      if (!text) return Err{text.error()};
      auto id = Identity::from_secret_str(*text);
      secure_wipe(text->data(), text->size());
      if (!id)
        return Err{"identity error: " + id.error().message() + " (key file " + key_path + ")"};
      warn_unmanaged_key_file(key_path, log);
      write_pub(pub_path, *id, log);
      log.info("Loaded persistent identity from key file path=" + key_path);
      return ResolvedIdentity{std::move(*id), IdentitySource::kKeyFile, key_path, true,
                              true,           std::move(log.lines)};
    }
    Identity id = Identity::generate();
    (void)make_dirs(key_dir);
    std::string nsec = id.nsec();
    auto w = write_key_file(key_path, nsec);
    secure_wipe(nsec.data(), nsec.size());
    if (w) {
      write_pub(pub_path, id, log);
      log.info("Generated persistent identity, saved to key file path=" + key_path);
      return ResolvedIdentity{std::move(id), IdentitySource::kGenerated, key_path, true,
                              true,          std::move(log.lines)};
    }
    log.warn(
        "Failed to persist the generated identity key; this node is starting with an "
        "ephemeral identity and its npub will change on every start path=" +
        key_path + " error=" + w.error());
    log.info("Using ephemeral identity (new keypair each start)");
    return ResolvedIdentity{std::move(id), IdentitySource::kEphemeral, key_path, true,
                            false,         std::move(log.lines)};
  }

  // Ephemeral (the default): a fresh key, written out for operator visibility.
  Identity id = Identity::generate();
  (void)make_dirs(key_dir);
  if (::lstat(key_path.c_str(), &st) == 0)
    log.warn(
        "An existing key file at this path is being replaced by a fresh ephemeral identity; "
        "set node.identity.persistent: true to keep the existing identity path=" +
        key_path + " config_key=node.identity.persistent");
  std::string nsec = id.nsec();
  if (auto w = write_key_file(key_path, nsec); !w)
    log.warn("Failed to write the ephemeral key file path=" + key_path + " error=" + w.error());
  secure_wipe(nsec.data(), nsec.size());
  write_pub(pub_path, id, log);
  log.info("Using ephemeral identity (new keypair each start)");
  return ResolvedIdentity{std::move(id), IdentitySource::kEphemeral, key_path, true,
                          false,         std::move(log.lines)};
}

Result<ResolvedIdentity, std::string> resolve_identity(const Config& cfg) {
  return resolve_identity_in(cfg, identity_key_dir(cfg));
}

}  // namespace fips
