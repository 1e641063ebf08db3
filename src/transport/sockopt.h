// Small socket helpers shared by the UDP and TCP transports: open a
// non-blocking CLOEXEC socket, apply buffer sizes, format errno.
// Not here: transport logic (transport/udp, transport/tcp).
#pragma once

#include <cstdint>
#include <string>

#include "io/fd.h"
#include "transport/addr.h"

namespace fips::sock {

// "what: strerror(err)".
std::string errno_msg(const char* what, int err);

// A non-blocking CLOEXEC socket of the given family/type; invalid on failure
// (errno is left set).
UniqueFd open(int family, int type);

// What the kernel granted, read back with getsockopt after setting: Linux
// reports twice the usable size (it doubles the request for bookkeeping), so
// a request of N that was not clamped reads back as 2N. -1 when unread.
struct BufferSizes {
  int rcvbuf = -1;
  int sndbuf = -1;
};

// SO_RCVBUF/SO_SNDBUF from config; tries the *FORCE variants first (they
// bypass rmem_max/wmem_max when the process has CAP_NET_ADMIN) and falls back.
// 0 leaves the kernel default. Never fails: the kernel clamps silently, so
// the granted sizes are returned for the caller to compare.
BufferSizes set_buffers(int fd, uint64_t rcvbuf, uint64_t sndbuf);

// The socket's bound address (getsockname), invalid on failure.
TransportAddr local_of(int fd);

// The pending SO_ERROR of a socket (clears it).
int take_error(int fd);

}  // namespace fips::sock
