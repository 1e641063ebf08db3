// Start-up host checks; see host_limits.h.
#include "daemon/host_limits.h"

#include <sys/resource.h>

#include <fstream>
#include <limits>
#include <memory>

#include "transport/udp.h"

namespace fips {
namespace {

constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

uint64_t from_rlim(rlim_t v) {
  return v == RLIM_INFINITY ? kUnlimited : static_cast<uint64_t>(v);
}

// fs.nr_open: the largest RLIMIT_NOFILE the kernel accepts.
uint64_t nr_open() {
  std::ifstream f("/proc/sys/fs/nr_open");
  uint64_t v = 0;
  if (f >> v && v > 0) return v;
  return 1048576;  // the kernel's default
}

}  // namespace

std::optional<uint64_t> descriptor_need(const Config& cfg) {
  uint64_t need = kFixedDescriptors + cfg.udp.size();
  if (cfg.tcp.empty()) return need;
  const uint64_t outbound = cfg.node.limits.max_connections;
  if (outbound == 0) return std::nullopt;
  need += outbound;
  for (const TcpTransportConfig& t : cfg.tcp) {
    const uint64_t inbound = t.max_inbound_connections.value_or(cfg.node.limits.max_connections);
    if (inbound == 0) return std::nullopt;
    need += 1 + inbound;
  }
  return need;
}

NofilePlan plan_nofile(uint64_t soft, uint64_t hard, std::optional<uint64_t> need,
                       uint64_t ceiling) {
  NofilePlan p{soft, false};
  const uint64_t top = hard == kUnlimited ? ceiling : hard;
  if (need && soft >= *need) return p;  // enough already
  if (!need && soft >= top) return p;   // unbounded: as much as we may
  if (top > soft) p.new_soft = top;
  p.warn = need && top < *need;
  return p;
}

std::vector<HostLogLine> apply_nofile_limit(const Config& cfg) {
  std::vector<HostLogLine> out;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return out;
  const uint64_t soft = from_rlim(rl.rlim_cur), hard = from_rlim(rl.rlim_max);
  const std::optional<uint64_t> need = descriptor_need(cfg);
  const NofilePlan p = plan_nofile(soft, hard, need, nr_open());
  const std::string need_s = need ? std::to_string(*need) : std::string("an unbounded number of");
  uint64_t now_soft = soft;
  if (p.new_soft != soft) {
    rlimit nl = rl;
    nl.rlim_cur = static_cast<rlim_t>(p.new_soft);
    if (::setrlimit(RLIMIT_NOFILE, &nl) == 0) {
      now_soft = p.new_soft;
      out.push_back({false, "Raised the open-file soft limit (RLIMIT_NOFILE) from " +
                                std::to_string(soft) + " to " + std::to_string(now_soft) +
                                ": the configured limits may use " + need_s + " descriptors"});
    }
  }
  if (p.warn || (need && now_soft < *need)) {
    out.push_back(
        {true, "Open-file limit (RLIMIT_NOFILE) " + std::to_string(now_soft) + " (hard " +
                   (hard == kUnlimited ? std::string("unlimited") : std::to_string(hard)) +
                   ") is below the " + need_s +
                   " descriptors the configured limits may use (node.limits.max_connections, "
                   "transports.tcp.max_inbound_connections); connections beyond it fail with "
                   "\"Too many open files\". Raise it: LimitNOFILE=65535 in the systemd unit, "
                   "or ulimit -n"});
  }
  return out;
}

std::optional<std::string> udp_buffer_warning(std::string_view direction, uint64_t requested,
                                              int granted) {
  if (requested == 0 || granted < 0) return std::nullopt;
  const uint64_t usable = static_cast<uint64_t>(granted) / 2;
  if (usable >= requested) return std::nullopt;
  const char* sysctl = direction == "recv" ? "net.core.rmem_max" : "net.core.wmem_max";
  return "UDP " + std::string(direction) + " buffer clamped by kernel (increase " + sysctl +
         ") requested=" + std::to_string(requested) + " actual=" + std::to_string(granted) +
         " (the kernel reports twice the usable " + std::to_string(usable) +
         "): packets are dropped silently under load; sysctl -w " + sysctl + "=" +
         std::to_string(requested) +
         " lifts the clamp (or run with CAP_NET_ADMIN, which bypasses it)";
}

std::vector<std::string> udp_buffer_warnings(
    const std::vector<std::unique_ptr<Transport>>& transports) {
  std::optional<std::string> recv, send;
  for (const auto& t : transports) {
    const auto* u = dynamic_cast<const UdpTransport*>(t.get());
    if (!u || u->state() != TransportState::kUp) continue;
    if (!recv)
      recv = udp_buffer_warning("recv", u->config().recv_buf_size, u->granted_buffers().rcvbuf);
    if (!send)
      send = udp_buffer_warning("send", u->config().send_buf_size, u->granted_buffers().sndbuf);
  }
  std::vector<std::string> out;
  if (recv) out.push_back(std::move(*recv));
  if (send) out.push_back(std::move(*send));
  return out;
}

}  // namespace fips
