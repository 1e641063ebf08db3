// show_listening_sockets, the pure half: which local TCP/UDP sockets are
// reachable over fips0, parsed from the text of /proc/net/tcp6 and
// /proc/net/udp6, and the reply JSON with each socket's verdict under the
// mesh firewall baseline (control/firewall_state.h). Reachable means bound to
// the IPv6 wildcard `::` or to our own fd00::/8 address; ::1, other
// addresses and IPv4 sockets (/proc/net/tcp, udp) are not, fips0 being
// IPv6-only (reference src/control/listening.rs). A TCP socket counts when
// it is in LISTEN, a UDP one when it is not connected (remote address `::`).
// Driven by: the daemon's probe (daemon/listening_probe.h), which reads the
// files, resolves socket inodes to processes and runs nft on a worker thread.
// Input is untrusted text: a line that does not parse is skipped and counted,
// never fatal. Reply shape: docs/reference/control-socket.md (the
// reference's), plus, ours, "skipped_lines" when any line was skipped.
// Not here: reading /proc or running nft (daemon/listening_probe.h), the
// nftables classification (control/firewall_state.h).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fips {

class FilterClassifier;

namespace listening {

enum class Proto : uint8_t { kTcp, kUdp };
const char* proto_name(Proto p);  // "tcp" / "udp"

using Ipv6Bytes = std::array<uint8_t, 16>;

struct Socket {
  Proto proto = Proto::kTcp;
  Ipv6Bytes local_addr{};
  uint16_t port = 0;
  uint64_t inode = 0;  // 0: the kernel gave none (the socket is then never resolved)
  std::optional<uint32_t> pid;
  std::optional<std::string> process;  // /proc/<pid>/comm
  bool wildcard_bind = false;          // local_addr is ::
};

struct ParseStats {
  uint64_t rows = 0;     // data lines seen (the header excluded)
  uint64_t skipped = 0;  // of which did not parse
};

// Appends to `out` the sockets in `text` (a /proc/net/tcp6 or udp6 file)
// that are listeners reachable over fips0, whose address is `fips0`.
void parse_proc_net(std::string_view text, Proto proto, const Ipv6Bytes& fips0,
                    std::vector<Socket>& out, ParseStats& stats);

// The inode of an fd link target "socket:[12345]"; nullopt for anything else.
std::optional<uint64_t> socket_inode(std::string_view link_target);

// The reference's order: proto ("tcp" before "udp"), port, pid (none first).
void sort_sockets(std::vector<Socket>& sockets);

// The `data` of show_listening_sockets: {fips0_addr, firewall_active,
// sockets: [{filter, local_addr, pid|null, port, process|null, proto,
// wildcard_bind}]}, plus "skipped_lines" (ours) when skipped_lines > 0.
nlohmann::json show_listening_sockets_data(const Ipv6Bytes& fips0,
                                           const std::vector<Socket>& sockets,
                                           const FilterClassifier& firewall,
                                           uint64_t skipped_lines);

}  // namespace listening
}  // namespace fips
