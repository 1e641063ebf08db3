#include "control/sockbind.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "config/paths.h"

namespace fips {
namespace {

constexpr int kListenBacklog = 256;

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Path::parent: nullopt for "/" (and ""), "" for a bare relative name.
std::optional<std::string> parent_of(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p.empty() || p == "/") return std::nullopt;
  const size_t pos = p.rfind('/');
  if (pos == std::string::npos) return std::string();
  if (pos == 0) return std::string("/");
  std::string parent = p.substr(0, pos);
  while (parent.size() > 1 && parent.back() == '/') parent.pop_back();
  return parent;
}

// Creates `dir` (and missing ancestors); true when this call created the leaf.
Result<bool, std::string> ensure_socket_parent(const std::string& dir, int depth = 0) {
  if (dir.empty()) return false;
  if (depth > 256) return Err{os_error_string(ENAMETOOLONG)};
  if (::mkdir(dir.c_str(), 0777) == 0) return true;
  const int err = errno;
  if (err == EEXIST) {
    if (is_dir(dir)) return false;
    return Err{os_error_string(err)};
  }
  if (err == ENOENT) {
    auto ancestor = parent_of(dir);
    if (!ancestor) return Err{os_error_string(err)};
    auto up = ensure_socket_parent(*ancestor, depth + 1);
    if (!up) return Err{up.error()};
    return ensure_socket_parent(dir, depth + 1);
  }
  return Err{os_error_string(err)};
}

// A live listener answers connect(); a stale socket file refuses it.
bool socket_is_live(const std::string& path) {
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!probe) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0)
    return true;
  return errno == EAGAIN || errno == EINPROGRESS;  // listener alive, backlog full
}

void chown_to_fips_group(const std::string& path) {
  const group* grp = ::getgrnam("fips");
  if (grp == nullptr) return;  // a source build has no fips group: fine
  [[maybe_unused]] int rc = ::chown(path.c_str(), static_cast<uid_t>(-1), grp->gr_gid);
}

}  // namespace

std::string os_error_string(int err) {
  char buf[256];
  const char* msg = ::strerror_r(err, buf, sizeof buf);  // GNU variant
  return std::string(msg) + " (os error " + std::to_string(err) + ")";
}

Result<UniqueFd, std::string> bind_unix_listener(const std::string& path, std::string_view what) {
  std::optional<std::string> managed_parent;
  if (auto parent = parent_of(path)) {
    auto created = ensure_socket_parent(*parent);
    if (!created) return Err{created.error()};
    if (*created || is_managed_socket_parent(*parent)) managed_parent = *parent;
  }

  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (socket_is_live(path)) return Err{std::string(what) + " socket already in use: " + path};
    if (::unlink(path.c_str()) != 0) return Err{os_error_string(errno)};
  }

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return Err{std::string("path must be shorter than SUN_LEN")};
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return Err{os_error_string(errno)};
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return Err{os_error_string(errno)};
  if (::listen(fd.get(), kListenBacklog) != 0) return Err{os_error_string(errno)};

  if (::chmod(path.c_str(), 0770) != 0) return Err{os_error_string(errno)};
  chown_to_fips_group(path);
  if (managed_parent) {
    if (::chmod(managed_parent->c_str(), 0750) != 0) return Err{os_error_string(errno)};
    chown_to_fips_group(*managed_parent);
  }
  return fd;
}

void remove_unix_socket_file(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  ::unlink(path.c_str());
}

}  // namespace fips
