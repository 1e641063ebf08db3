// Whether this process holds a Linux capability in its effective set (read
// with the capget system call; no libcap). The daemon asks before creating
// its TUN so a missing CAP_NET_ADMIN and a device node whose permissions
// refuse the user get different, exact messages.
// Not here: acquiring or dropping capabilities (the service manager does
// that: packaging/fips.service, or setcap on the binary).
#pragma once

namespace fips {

// cap is a CAP_* number from <linux/capability.h>; false when capget fails.
[[nodiscard]] bool has_effective_capability(int cap);
// has_effective_capability(CAP_NET_ADMIN).
[[nodiscard]] bool has_cap_net_admin();

}  // namespace fips
