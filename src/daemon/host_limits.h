// Host limits the daemon checks at start-up and says something about, as an
// operator running it as a service needs (issue 13; docs/service.md "Open
// files" and "UDP socket buffers", which also say where the reference
// differs):
//   * RLIMIT_NOFILE against the descriptors the configured limits can use:
//     the soft limit is raised to the hard limit when it is lower than that
//     need; a hard limit that is still too low gets one warning naming the
//     numbers (we have no per-peer sockets, TCP has one per connection).
//   * UDP socket buffers the kernel clamped below the configured size: one
//     warning per direction naming the sysctl to raise.
// The plan/warning functions are pure (unit-tested); apply_nofile_limit()
// and udp_buffer_warnings() read the process and the running transports.
// main() (apps/fips) calls them: the former before the daemon opens
// anything, the latter once the transports are up.
// Not here: setting the buffers (transport/sockopt), capabilities (io/caps).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace fips {

class Transport;

// Descriptors the daemon may hold at once under `cfg`: a fixed part (stdio,
// event loop fds, TUN, netlink, DNS, the control listener and its 64
// clients, files read at run time), one per UDP transport, and per TCP
// transport its listener plus its inbound cap, plus node.limits.
// max_connections outbound dials when any TCP transport runs. nullopt when
// a cap that bounds TCP connections is 0 (unlimited).
inline constexpr uint64_t kFixedDescriptors = 128;
[[nodiscard]] std::optional<uint64_t> descriptor_need(const Config& cfg);

struct NofilePlan {
  uint64_t new_soft = 0;  // == soft: leave it
  bool warn = false;      // the hard limit is below the need
};
// soft/hard as getrlimit reports them (RLIM_INFINITY as UINT64_MAX); need as
// descriptor_need (nullopt: unbounded). `ceiling` caps a raise when hard is
// unlimited (the kernel's fs.nr_open).
[[nodiscard]] NofilePlan plan_nofile(uint64_t soft, uint64_t hard, std::optional<uint64_t> need,
                                     uint64_t ceiling);

struct HostLogLine {
  bool warn = false;  // else info
  std::string text;
};
// getrlimit, plan_nofile, setrlimit; what to log about it (nothing when the
// soft limit already covers the need).
[[nodiscard]] std::vector<HostLogLine> apply_nofile_limit(const Config& cfg);

// The warning for one direction of a UDP socket ("recv"/"send"), or nullopt
// when the kernel granted the request. `granted` is getsockopt's value,
// twice the usable size on Linux: clamped means granted / 2 < requested
// (the reference compares the doubled value with the request, so it stays
// silent while the limit lies between half the request and the request).
// requested 0 (kernel default) or granted < 0 (unread): nullopt.
[[nodiscard]] std::optional<std::string> udp_buffer_warning(std::string_view direction,
                                                            uint64_t requested, int granted);

// One warning per direction over all running UDP transports (the first
// clamped socket's numbers), as udp_buffer_warning.
[[nodiscard]] std::vector<std::string> udp_buffer_warnings(
    const std::vector<std::unique_ptr<Transport>>& transports);

}  // namespace fips
