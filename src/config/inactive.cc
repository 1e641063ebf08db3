// Which accepted keys this version ignores. Every key the loaders parse was
// checked against its readers in src/ (node_options_from, link_config_from,
// SessionParams::from_config, the transports, the daemon); the ones listed
// here have none. Keep this list in step when a feature lands.
#include "config/inactive.h"

namespace fips {
namespace {

class Collector {
 public:
  std::vector<InactiveKey> out;
  void add(std::string key, std::string reason) {
    out.push_back(InactiveKey{std::move(key), std::move(reason)});
  }
  // Adds `key` when `value` differs from the default.
  template <class T>
  void changed(const T& value, const T& dflt, std::string key, const char* reason) {
    if (!(value == dflt)) add(std::move(key), reason);
  }
};

constexpr const char* kNoNostr = "Nostr rendezvous (adverts, NAT traversal) is not implemented";

void node_keys(Collector& c, const NodeConfig& n) {
  const NodeConfig d;
  c.changed(n.tick_interval_secs, d.tick_interval_secs, "node.tick_interval_secs",
            "the maintenance tick is fixed at 1 s");
  c.changed(n.base_rtt_ms, d.base_rtt_ms, "node.base_rtt_ms",
            "no RTT-scaled timers are implemented (link MMP measures SRTT, nothing scales by it)");
  c.changed(n.drain_timeout_secs, d.drain_timeout_secs, "node.drain_timeout_secs",
            "shutdown sends Disconnect at once and does not drain");
  c.changed(n.limits.max_pending_inbound, d.limits.max_pending_inbound,
            "node.limits.max_pending_inbound",
            "inbound handshakes are bounded by the msg1 rate limiter and max_links instead");
  c.changed(n.retry.max_retries, d.retry.max_retries, "node.retry.max_retries",
            "configured peers are redialled with backoff until they connect (the reference "
            "gives up after max_retries failed first attempts)");
  // node.mmp.* drive link MMP, node.session_mmp.* session MMP, node.ecn.*
  // our own CE marking (node/congestion.h).
  c.changed(n.buffers.packet_channel, d.buffers.packet_channel, "node.buffers.packet_channel",
            "single-threaded event loop: there are no channels to size");
  c.changed(n.buffers.tun_channel, d.buffers.tun_channel, "node.buffers.tun_channel",
            "single-threaded event loop: there are no channels to size");
  c.changed(n.buffers.dns_channel, d.buffers.dns_channel, "node.buffers.dns_channel",
            "single-threaded event loop: there are no channels to size");
  if (n.native_api.enabled)
    c.add("node.native_api.enabled",
          "the native datagram API socket is not implemented (no api.sock is created)");
  if (n.rendezvous.nostr.enabled)
    c.add("node.rendezvous.nostr.enabled",
          std::string(kNoNostr) + " (also set by the legacy node.discovery.nostr.enabled)");
  if (n.rendezvous.lan.enabled)
    c.add("node.rendezvous.lan.enabled",
          "LAN discovery (mDNS) is not implemented (also set by the legacy "
          "node.discovery.lan.enabled)");
}

void transport_keys(Collector& c, const Config& cfg) {
  auto where = [](const char* type, const std::optional<std::string>& name, size_t i,
                  size_t count, const char* key) {
    std::string p = "transports.";
    p += type;
    if (name) {
      p += '.';
      p += *name;
    } else if (count > 1) {
      p += '[';
      p += std::to_string(i);
      p += ']';
    }
    p += '.';
    p += key;
    return p;
  };
  for (size_t i = 0; i < cfg.udp.size(); ++i) {
    const UdpTransportConfig& u = cfg.udp[i];
    if (u.advertise_on_nostr)
      c.add(where("udp", u.name, i, cfg.udp.size(), "advertise_on_nostr"), kNoNostr);
    if (u.is_public) c.add(where("udp", u.name, i, cfg.udp.size(), "public"), kNoNostr);
    if (u.external_addr)
      c.add(where("udp", u.name, i, cfg.udp.size(), "external_addr"),
            "only used in Nostr adverts, which are not implemented");
  }
  for (size_t i = 0; i < cfg.tcp.size(); ++i) {
    const TcpTransportConfig& t = cfg.tcp[i];
    if (t.advertise_on_nostr)
      c.add(where("tcp", t.name, i, cfg.tcp.size(), "advertise_on_nostr"), kNoNostr);
    if (t.external_addr)
      c.add(where("tcp", t.name, i, cfg.tcp.size(), "external_addr"),
            "only used in Nostr adverts, which are not implemented");
  }
  for (const std::string& s : cfg.ignored_transports)
    c.add(s, "this transport is not implemented; the section is ignored");
}

}  // namespace

std::vector<InactiveKey> inactive_config(const Config& cfg) {
  Collector c;
  node_keys(c, cfg.node);
  transport_keys(c, cfg);
  for (size_t i = 0; i < cfg.peers.size(); ++i)
    if (cfg.peers[i].via_nostr)
      c.add("peers[" + std::to_string(i) + "].via_nostr", kNoNostr);
  if (cfg.gateway_enabled)
    c.add("gateway.enabled",
          "the gateway (fips-gateway: NAT pool, DNS, port forwards) is not implemented");
  return std::move(c.out);
}

std::string inactive_warning(const InactiveKey& k) {
  return k.key + ": " + k.reason + "; this setting has no effect in this version";
}

}  // namespace fips
