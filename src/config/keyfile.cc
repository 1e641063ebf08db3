#include "config/keyfile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/secret.h"

namespace fips {
namespace {

std::string errno_text(const std::string& what, const std::string& path, int err) {
  return what + " " + path + ": " + std::strerror(err);
}

FileResult write_line(const std::string& path, std::string_view text, mode_t mode, bool enforce) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == ELOOP) return Err{"refusing to write through symlink: " + path};
    return Err{errno_text("cannot open", path, errno)};
  }
  if (enforce && ::fchmod(fd, mode) != 0) {
    int e = errno;
    ::close(fd);
    return Err{errno_text("cannot set mode on", path, e)};
  }
  std::string line(text);
  line.push_back('\n');
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      secure_wipe(line.data(), line.size());
      ::close(fd);
      return Err{errno_text("cannot write", path, e)};
    }
    done += static_cast<size_t>(n);
  }
  secure_wipe(line.data(), line.size());
  if (::close(fd) != 0) return Err{errno_text("cannot close", path, errno)};
  return {};
}

}  // namespace

FileResult write_key_file(const std::string& path, std::string_view nsec) {
  return write_line(path, nsec, 0600, true);
}

FileResult write_pub_file(const std::string& path, std::string_view npub) {
  return write_line(path, npub, 0644, false);
}

Result<std::string, std::string> read_key_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Err{errno_text("cannot read", path, errno)};
  char buf[512];
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  int e = errno;
  ::close(fd);
  if (n < 0) return Err{errno_text("cannot read", path, e)};
  std::string s(buf, static_cast<size_t>(n));
  secure_wipe(buf, sizeof buf);
  size_t nl = s.find_first_of("\r\n");
  if (nl != std::string::npos) s.resize(nl);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t start = s.find_first_not_of(" \t");
  if (start == std::string::npos) return Err{"key file is empty: " + path};
  return s.substr(start);
}

FileResult make_dirs(const std::string& path) {
  if (path.empty()) return {};
  std::string cur;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    cur = path.substr(0, j);
    if (!cur.empty() && ::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
      return Err{errno_text("cannot create directory", cur, errno)};
    i = j + 1;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Err{"not a directory: " + path};
  return {};
}

}  // namespace fips
