#include "transport/sockopt.h"

#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace fips::sock {

std::string errno_msg(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

UniqueFd open(int family, int type) {
  return UniqueFd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}

namespace {
void set_one(int fd, int force_opt, int opt, uint64_t size) {
  if (size == 0) return;
  // The kernel doubles the value for bookkeeping; stay well inside int.
  const int v = size > static_cast<uint64_t>(INT_MAX / 2) ? INT_MAX / 2 : static_cast<int>(size);
  if (::setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof v) == 0) return;
  (void)::setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v);
}
}  // namespace

BufferSizes set_buffers(int fd, uint64_t rcvbuf, uint64_t sndbuf) {
  set_one(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcvbuf);
  set_one(fd, SO_SNDBUFFORCE, SO_SNDBUF, sndbuf);
  BufferSizes got;
  socklen_t len = sizeof got.rcvbuf;
  if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got.rcvbuf, &len) != 0) got.rcvbuf = -1;
  len = sizeof got.sndbuf;
  if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got.sndbuf, &len) != 0) got.sndbuf = -1;
  return got;
}

TransportAddr local_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return TransportAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

int take_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

}  // namespace fips::sock
