#include "io/caps.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace fips {

bool has_effective_capability(int cap) {
  if (cap < 0 || cap >= 64) return false;
  __user_cap_header_struct hdr{};
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &hdr, data) != 0) return false;
  const auto word = static_cast<unsigned>(cap) / 32, bit = static_cast<unsigned>(cap) % 32;
  return (data[word].effective >> bit) & 1u;
}

bool has_cap_net_admin() {
  return has_effective_capability(CAP_NET_ADMIN);
}

}  // namespace fips
