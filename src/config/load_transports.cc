// transports.*, peers[] and gateway key tables. Transport sections are
// either one instance (fields directly under the type) or a map of named
// instances; see parse_instances() for how the two are told apart.
#include <algorithm>
#include <array>

#include "config/load_sections.h"
#include "transport/addr.h"

namespace fips::config_detail {
namespace {

using Keys = std::span<const std::string_view>;

constexpr std::array<std::string_view, 9> kUdpKeys{
    "bind_addr", "mtu",           "recv_buf_size", "send_buf_size",     "advertise_on_nostr",
    "public",    "external_addr", "outbound_only", "accept_connections"};
constexpr std::array<std::string_view, 10> kTcpKeys{
    "bind_addr",          "mtu",           "connect_timeout_ms", "nodelay",
    "keepalive_secs",     "recv_buf_size", "send_buf_size",      "max_inbound_connections",
    "advertise_on_nostr", "external_addr"};
constexpr std::array<std::string_view, 11> kEthernetKeys{
    "interface", "ethertype", "mtu",          "recv_buf_size",      "send_buf_size",       "listen",
    "discovery", "announce",  "auto_connect", "accept_connections", "beacon_interval_secs"};
constexpr std::array<std::string_view, 11> kTorKeys{"mode",
                                                    "socks5_addr",
                                                    "connect_timeout_ms",
                                                    "mtu",
                                                    "control_addr",
                                                    "control_auth",
                                                    "cookie_path",
                                                    "max_inbound_connections",
                                                    "directory_service",
                                                    "advertise_on_nostr",
                                                    "advertised_port"};
constexpr std::array<std::string_view, 4> kNymKeys{"socks5_addr", "connect_timeout_ms", "mtu",
                                                   "startup_timeout_secs"};
constexpr std::array<std::string_view, 10> kBleKeys{
    "adapter",   "psm",  "mtu",          "max_connections",    "connect_timeout_ms",
    "advertise", "scan", "auto_connect", "accept_connections", "probe_cooldown_secs"};

constexpr std::array<EnumName<ConnectPolicy>, 3> kConnectPolicies{{
    {"auto_connect", ConnectPolicy::kAutoConnect},
    {"on_demand", ConnectPolicy::kOnDemand},
    {"manual", ConnectPolicy::kManual},
}};

enum class Proto : uint8_t { kTcp, kUdp };
constexpr std::array<EnumName<Proto>, 2> kProtos{{{"tcp", Proto::kTcp}, {"udp", Proto::kUdp}}};

void parse_udp(Ctx& c, const YAML::Node& n, const std::string& p, UdpTransportConfig& o) {
  Fields f(c, n, p);
  f.str("bind_addr", o.bind_addr, true);
  f.uint("mtu", o.mtu, true);
  f.uint("recv_buf_size", o.recv_buf_size, true);
  f.uint("send_buf_size", o.send_buf_size, true);
  f.boolean("advertise_on_nostr", o.advertise_on_nostr, true);
  f.boolean("public", o.is_public, true);
  f.opt_str("external_addr", o.external_addr);
  f.boolean("outbound_only", o.outbound_only, true);
  f.boolean("accept_connections", o.accept_connections, true);
  f.finish();
}

void parse_tcp(Ctx& c, const YAML::Node& n, const std::string& p, TcpTransportConfig& o) {
  Fields f(c, n, p);
  f.opt_str("bind_addr", o.bind_addr);
  f.uint("mtu", o.mtu, true);
  f.uint("connect_timeout_ms", o.connect_timeout_ms, true);
  f.boolean("nodelay", o.nodelay, true);
  f.uint("keepalive_secs", o.keepalive_secs, true);
  f.uint("recv_buf_size", o.recv_buf_size, true);
  f.uint("send_buf_size", o.send_buf_size, true);
  f.opt_uint("max_inbound_connections", o.max_inbound_connections);
  f.boolean("advertise_on_nostr", o.advertise_on_nostr, true);
  f.opt_str("external_addr", o.external_addr);
  f.finish();
}

// The transports this daemon does not run yet: type-checked like the
// reference would, then dropped with a warning.
struct Unsupported {
  std::optional<std::string> name;
};

void parse_ethernet(Ctx& c, const YAML::Node& n, const std::string& p, Unsupported&) {
  Fields f(c, n, p);
  std::string s;
  uint16_t u16 = 0;
  uint64_t u64 = 0;
  bool b = false;
  f.str("interface", s);
  f.uint("ethertype", u16, true);
  f.uint("mtu", u16, true);
  f.uint("recv_buf_size", u64, true);
  f.uint("send_buf_size", u64, true);
  f.boolean("listen", b, true);
  f.boolean("discovery", b, true);
  f.boolean("announce", b, true);
  f.boolean("auto_connect", b, true);
  f.boolean("accept_connections", b, true);
  f.uint("beacon_interval_secs", u64, true);
  f.require("interface");
  f.finish();
}

void parse_tor(Ctx& c, const YAML::Node& n, const std::string& p, Unsupported&) {
  Fields f(c, n, p);
  std::string s;
  uint16_t u16 = 0;
  uint64_t u64 = 0;
  bool b = false;
  for (std::string_view k : {"mode", "socks5_addr", "control_addr", "control_auth", "cookie_path"})
    f.str(k, s, true);
  f.uint("connect_timeout_ms", u64, true);
  f.uint("mtu", u16, true);
  f.uint("max_inbound_connections", u64, true);
  f.section("directory_service", [&](const YAML::Node& v, const std::string& q) {
    Fields d(c, v, q);
    d.str("hostname_file", s, true);
    d.str("bind_addr", s, true);
    d.finish();
  });
  f.boolean("advertise_on_nostr", b, true);
  f.uint("advertised_port", u16, true);
  f.finish();
}

void parse_nym(Ctx& c, const YAML::Node& n, const std::string& p, Unsupported&) {
  Fields f(c, n, p);
  std::string s;
  uint16_t u16 = 0;
  uint64_t u64 = 0;
  f.str("socks5_addr", s, true);
  f.uint("connect_timeout_ms", u64, true);
  f.uint("mtu", u16, true);
  f.uint("startup_timeout_secs", u64, true);
  f.finish();
}

void parse_ble(Ctx& c, const YAML::Node& n, const std::string& p, Unsupported&) {
  Fields f(c, n, p);
  std::string s;
  uint16_t u16 = 0;
  uint64_t u64 = 0;
  bool b = false;
  f.str("adapter", s, true);
  f.uint("psm", u16, true);
  f.uint("mtu", u16, true);
  f.uint("max_connections", u64, true);
  f.uint("connect_timeout_ms", u64, true);
  for (std::string_view k : {"advertise", "scan", "auto_connect", "accept_connections"})
    f.boolean(k, b, true);
  f.uint("probe_cooldown_secs", u64, true);
  f.finish();
}

// A map is a set of named instances when it is non-empty, none of its keys is
// an instance field, and every value is a map (or null, an instance with all
// defaults). This is the decision the reference's untagged enum reaches by
// trial, made explicitly so errors can name the exact key.
bool is_named(const YAML::Node& n, Keys fields) {
  if (!n.IsMap() || n.size() == 0) return false;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const YAML::Node key = it->first, value = it->second;  // copies: see Fields
    if (!key.IsScalar()) return false;
    const std::string k = key.Scalar();
    for (auto f : fields)
      if (f == k) return false;
    if (!value.IsMap() && !value.IsNull()) return false;
  }
  return true;
}

template <class T>
void parse_instances(Ctx& c, const YAML::Node& n, const std::string& p, Keys fields,
                     void (*parse_one)(Ctx&, const YAML::Node&, const std::string&, T&),
                     std::vector<T>& out) {
  std::vector<T> result;
  if (n.IsNull()) {
    // The reference rejects `udp:` with no value (its untagged enum cannot
    // match a unit); we read it as one instance with defaults, like `udp: {}`.
    c.warn(p + ": empty value read as one instance with defaults (write `{}` to be explicit)");
    result.emplace_back();
  } else if (!n.IsMap()) {
    c.fail(p, "expected a map (one instance, or named instances), got " + describe(n), &n);
    return;
  } else if (is_named(n, fields)) {
    if (n.size() > kMaxTransportInstances) {
      c.fail(p,
             "too many named instances (" + std::to_string(n.size()) + "; at most " +
                 std::to_string(kMaxTransportInstances) + ")",
             &n);
      return;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node key = it->first, value = it->second;
      T inst;
      inst.name = key.Scalar();
      parse_one(c, value, child_path(p, key.Scalar()), inst);
      if (c.failed()) return;
      result.push_back(std::move(inst));
    }
  } else {
    T inst;
    parse_one(c, n, p, inst);
    if (c.failed()) return;
    result.push_back(std::move(inst));
  }
  out = std::move(result);
}

void parse_unsupported(Ctx& c, const YAML::Node& n, const std::string& p, Keys fields,
                       void (*parse_one)(Ctx&, const YAML::Node&, const std::string&, Unsupported&)) {
  std::vector<Unsupported> ignored;
  parse_instances(c, n, p, fields, parse_one, ignored);
  // No warning here: inactive_config() reports the section (one warning at
  // start-up, and show_status lists it).
  if (c.failed()) return;
  auto& seen = c.cfg.ignored_transports;
  if (std::find(seen.begin(), seen.end(), p) == seen.end()) seen.push_back(p);
}

void parse_address(Ctx& c, const YAML::Node& n, const std::string& p, PeerAddressConfig& o) {
  Fields f(c, n, p);
  f.str("transport", o.transport);
  f.str("addr", o.addr);
  f.uint("priority", o.priority);
  f.require("transport");
  f.require("addr");
  f.finish();
}

// A YAML sequence of maps, each parsed by `one`; null is an empty list.
template <class T, class One>
void parse_map_list(Ctx& c, const YAML::Node& n, const std::string& p, size_t max_len,
                    std::vector<T>& out, One&& one) {
  if (n.IsNull()) {
    out.clear();
    return;
  }
  if (!n.IsSequence()) {
    c.fail(p, "expected a list, got " + describe(n), &n);
    return;
  }
  if (n.size() > max_len) {
    c.fail(p,
           "too many entries (" + std::to_string(n.size()) + "; at most " +
               std::to_string(max_len) + ")",
           &n);
    return;
  }
  std::vector<T> items;
  size_t i = 0;
  for (auto it = n.begin(); it != n.end(); ++it, ++i) {
    T x{};
    one(*it, index_path(p, i), x);
    if (c.failed()) return;
    items.push_back(std::move(x));
  }
  out = std::move(items);
}

void parse_peer(Ctx& c, const YAML::Node& n, const std::string& p, PeerConfig& o) {
  Fields f(c, n, p);
  f.str("npub", o.npub);
  f.opt_str("alias", o.alias);
  f.section("addresses", [&](const YAML::Node& v, const std::string& q) {
    parse_map_list(c, v, q, kMaxPeerAddresses, o.addresses,
                   [&](const YAML::Node& e, const std::string& r, PeerAddressConfig& a) {
                     parse_address(c, e, r, a);
                   });
  });
  f.enumeration<ConnectPolicy>("connect_policy", o.connect_policy, kConnectPolicies);
  f.boolean("auto_reconnect", o.auto_reconnect);
  f.boolean("via_nostr", o.via_nostr);
  f.require("npub");
  f.finish();
}

}  // namespace

void parse_transports(Ctx& c, const YAML::Node& n, const std::string& p, Config& cfg) {
  Fields f(c, n, p);
  f.section("udp", [&](const YAML::Node& v, const std::string& q) {
    parse_instances<UdpTransportConfig>(c, v, q, kUdpKeys, parse_udp, cfg.udp);
  });
  f.section("tcp", [&](const YAML::Node& v, const std::string& q) {
    parse_instances<TcpTransportConfig>(c, v, q, kTcpKeys, parse_tcp, cfg.tcp);
  });
  f.section("ethernet", [&](const YAML::Node& v, const std::string& q) {
    parse_unsupported(c, v, q, kEthernetKeys, parse_ethernet);
  });
  f.section("tor", [&](const YAML::Node& v, const std::string& q) {
    parse_unsupported(c, v, q, kTorKeys, parse_tor);
  });
  f.section("nym", [&](const YAML::Node& v, const std::string& q) {
    parse_unsupported(c, v, q, kNymKeys, parse_nym);
  });
  f.section("ble", [&](const YAML::Node& v, const std::string& q) {
    parse_unsupported(c, v, q, kBleKeys, parse_ble);
  });
  f.finish();
}

void parse_peers(Ctx& c, const YAML::Node& n, const std::string& p, std::vector<PeerConfig>& out) {
  parse_map_list(c, n, p, kMaxConfigPeers, out,
                 [&](const YAML::Node& e, const std::string& q, PeerConfig& peer) {
                   parse_peer(c, e, q, peer);
                 });
}

void parse_gateway(Ctx& c, const YAML::Node& n, const std::string& p) {
  Fields f(c, n, p);
  std::string s;
  std::optional<std::string> os;
  std::optional<uint32_t> ou32;
  std::optional<uint64_t> ou64;
  bool b = false;
  f.boolean("enabled", b);
  if (f.ok()) c.cfg.gateway_enabled = b;
  f.str("pool", s);
  f.str("lan_interface", s);
  f.section("dns", [&](const YAML::Node& v, const std::string& q) {
    Fields d(c, v, q);
    d.opt_str("listen", os);
    d.opt_str("upstream", os);
    d.opt_uint("ttl", ou32);
    d.finish();
  });
  f.opt_uint("pool_grace_period", ou64);
  f.section("conntrack", [&](const YAML::Node& v, const std::string& q) {
    Fields d(c, v, q);
    for (std::string_view k : {"tcp_established", "udp_timeout", "udp_assured", "icmp_timeout"})
      d.opt_uint(k, ou64);
    d.finish();
  });
  struct Forward {};
  std::vector<Forward> forwards;
  f.section("port_forwards", [&](const YAML::Node& v, const std::string& q) {
    parse_map_list(c, v, q, 1024, forwards,
                   [&](const YAML::Node& e, const std::string& r, Forward&) {
                     Fields pf(c, e, r);
                     uint16_t port = 0;
                     Proto proto = Proto::kTcp;
                     std::string target;
                     pf.uint("listen_port", port);
                     pf.enumeration<Proto>("proto", proto, kProtos);
                     if (const YAML::Node* t = pf.take("target");
                         t && pf.ok() && read_string(c, *t, child_path(r, "target"), target)) {
                       auto a = TransportAddr::parse(target);
                       if (!a || !a->is_v6())
                         c.fail(child_path(r, "target"),
                                "invalid socket address syntax (expected [v6]:port)", t);
                     }
                     pf.require("listen_port");
                     pf.require("proto");
                     pf.require("target");
                     pf.finish();
                   });
  });
  f.require("pool");
  f.require("lan_interface");
  f.finish();
}

}  // namespace fips::config_detail
