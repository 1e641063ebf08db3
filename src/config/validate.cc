// validate_config(): value checks the reference leaves to run time (npubs,
// addresses, the nsec) followed by the reference's Config::validate rules in
// its order. Every problem is reported (the reference stops at the first),
// one line each, "<key.path>: <reason>". Where the reference has a message we
// reuse its text, minus a leading mention of the key the prefix now names.
#include <arpa/inet.h>

#include <array>
#include <cmath>
#include <set>

#include "config/load.h"
#include "config/yaml_read.h"
#include "identity/identity.h"
#include "transport/addr.h"

namespace fips {
namespace {

constexpr uint64_t kRekeyJitterSecs = 15;
constexpr uint64_t kFreshnessSkewSecs = 60;
constexpr uint64_t kSemaphoreMaxPermits = UINT64_MAX >> 3;  // tokio, usize::MAX >> 3
constexpr size_t kMaxErrorLines = 50;

class Problems {
 public:
  void add(const std::string& path, std::string text) {
    for (const std::string& lead : {"`" + path + "` ", path + " "}) {
      if (text.starts_with(lead)) {
        text.erase(0, lead.size());
        break;
      }
    }
    if (lines_.size() < kMaxErrorLines)
      lines_.push_back(path + ": " + text);
    else
      ++dropped_;
  }
  bool empty() const { return lines_.empty(); }
  std::string joined() const {
    std::string out;
    for (const auto& l : lines_) {
      if (!out.empty()) out += '\n';
      out += l;
    }
    if (dropped_) out += "\n(" + std::to_string(dropped_) + " more problems not shown)";
    return out;
  }

 private:
  std::vector<std::string> lines_;
  size_t dropped_ = 0;
};

std::string q(const std::string& s) {
  return config_detail::quoted_text(s);
}

std::string udp_path(const UdpTransportConfig& u) {
  return u.name ? "transports.udp." + *u.name : "transports.udp";
}
std::string tcp_path(const TcpTransportConfig& t) {
  return t.name ? "transports.tcp." + *t.name : "transports.tcp";
}

// The reference's is_loopback_addr_str.
bool is_loopback_addr_str(std::string_view addr) {
  if (addr.starts_with('[')) {
    auto end = addr.find(']');
    if (end != std::string_view::npos) return addr.substr(1, end - 1) == "::1";
  }
  auto colon = addr.rfind(':');
  std::string_view host = colon == std::string_view::npos ? addr : addr.substr(0, colon);
  return host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" ||
         host.starts_with("127.");
}

bool is_ip(const std::string& s) {
  in6_addr a6{};
  in_addr a4{};
  return ::inet_pton(AF_INET, s.c_str(), &a4) == 1 || ::inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

// RFC 1123 host name; an all-digit last label would be a mistyped IPv4.
bool is_hostname(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  if (h.back() == '.') h.remove_suffix(1);
  bool last_numeric = false;
  size_t start = 0;
  while (start <= h.size()) {
    size_t dot = h.find('.', start);
    if (dot == std::string_view::npos) dot = h.size();
    std::string_view label = h.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    last_numeric = true;
    for (char ch : label) {
      bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
      if (!alnum && ch != '-' && ch != '_') return false;
      if (!(ch >= '0' && ch <= '9')) last_numeric = false;
    }
    start = dot + 1;
  }
  return !last_numeric;
}

enum class HostPort : uint8_t { kIp, kHostname, kBad };

HostPort classify_host_port(const std::string& s) {
  if (auto a = TransportAddr::parse(s)) return a->port() != 0 ? HostPort::kIp : HostPort::kBad;
  if (s.starts_with('[')) return HostPort::kBad;
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return HostPort::kBad;
  std::string host = s.substr(0, colon), port = s.substr(colon + 1);
  if (host.find(':') != std::string::npos || is_ip(host)) return HostPort::kBad;
  auto p = config_detail::parse_yaml_int(port);
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || !p ||
      p->magnitude == 0 || p->magnitude > 65535)
    return HostPort::kBad;
  return is_hostname(host) ? HostPort::kHostname : HostPort::kBad;
}

bool is_ip_or_socket_addr(const std::string& s) {
  if (is_ip(s) || TransportAddr::parse(s)) return true;
  return s.size() > 2 && s.front() == '[' && s.back() == ']' && is_ip(s.substr(1, s.size() - 2));
}

const char* kHostPortExample = R"( (e.g. "192.0.2.1:2121" or "[2001:db8::1]:2121"))";

void check_values(Config& cfg, Problems& p) {
  if (cfg.node.nsec) {
    auto sk = decode_secret(*cfg.node.nsec);
    if (!sk) p.add("node.identity.nsec", sk.error().message());
  }
  if (cfg.node.log_level && !parse_config_log_level(*cfg.node.log_level))
    cfg.warnings.push_back("node.log_level: unrecognised level " + q(*cfg.node.log_level) +
                           "; using info (expected trace, debug, info, warn or error)");
  if (!is_ip(cfg.dns.bind_addr))
    p.add("dns.bind_addr", "expected an IP address, got " + q(cfg.dns.bind_addr));

  for (const auto& u : cfg.udp) {
    if (!u.outbound_only && !TransportAddr::parse(u.bind_addr))
      p.add(udp_path(u) + ".bind_addr",
            "expected IP:port (e.g. \"0.0.0.0:2121\" or \"[::]:2121\"), got " + q(u.bind_addr));
    if (u.external_addr && !is_ip_or_socket_addr(*u.external_addr))
      p.add(udp_path(u) + ".external_addr",
            "expected an IP address or IP:port, got " + q(*u.external_addr));
  }
  for (const auto& t : cfg.tcp) {
    if (t.bind_addr && !TransportAddr::parse(*t.bind_addr))
      p.add(tcp_path(t) + ".bind_addr",
            "expected IP:port (e.g. \"0.0.0.0:443\"), got " + q(*t.bind_addr));
    if (t.external_addr && !is_ip_or_socket_addr(*t.external_addr))
      p.add(tcp_path(t) + ".external_addr",
            "expected an IP address or IP:port, got " + q(*t.external_addr));
  }
  if (cfg.udp.empty() && cfg.tcp.empty())
    cfg.warnings.push_back(
        "transports: none configured; the node cannot make links (add `transports: {udp: {}}`)");

  std::set<std::string> seen_npubs;
  for (size_t i = 0; i < cfg.peers.size(); ++i) {
    const PeerConfig& peer = cfg.peers[i];
    std::string pp = config_detail::index_path("peers", i);
    if (auto id = PeerIdentity::from_npub(peer.npub); !id) {
      p.add(pp + ".npub", id.error().message());
    } else if (!seen_npubs.insert(peer.npub).second) {
      cfg.warnings.push_back(pp + ".npub: the same peer is listed more than once");
    }
    for (size_t j = 0; j < peer.addresses.size(); ++j) {
      const PeerAddressConfig& a = peer.addresses[j];
      std::string ap = config_detail::index_path(pp + ".addresses", j);
      std::string_view kind = a.transport;
      if (auto slash = kind.find('/');
          slash != std::string_view::npos && slash > 0 && slash + 1 < kind.size())
        kind = kind.substr(0, slash);
      if (kind == "udp" || kind == "tcp") {
        switch (classify_host_port(a.addr)) {
          case HostPort::kIp:
            break;
          case HostPort::kHostname:
            cfg.warnings.push_back(ap + ".addr: " + q(a.addr) +
                                   " names a host, not an IP address; it is resolved with DNS "
                                   "when dialling");
            break;
          case HostPort::kBad:
            p.add(ap + ".addr",
                  std::string("expected host:port") + kHostPortExample + ", got " + q(a.addr));
            break;
        }
      } else if (kind == "ethernet" || kind == "tor" || kind == "nym" || kind == "ble") {
        cfg.warnings.push_back(ap + ".transport: the " + std::string(kind) +
                               " transport is not supported by this implementation yet; this "
                               "address is never dialled");
      } else {
        cfg.warnings.push_back(ap + ".transport: unknown transport type " + q(a.transport) +
                               "; this address is never dialled");
      }
    }
  }
}

void check_reference_rules(const Config& cfg, Problems& p) {
  const NostrRendezvousConfig& nostr = cfg.node.rendezvous.nostr;
  // 1-2: Nostr features without Nostr.
  if (!nostr.enabled) {
    std::string first;
    for (const auto& u : cfg.udp)
      if (u.advertise_on_nostr && first.empty()) first = udp_path(u);
    for (const auto& t : cfg.tcp)
      if (t.advertise_on_nostr && first.empty()) first = tcp_path(t);
    if (!first.empty())
      p.add(first + ".advertise_on_nostr",
            "at least one transport has `advertise_on_nostr = true`, but "
            "`node.rendezvous.nostr.enabled` is false");
    for (size_t i = 0; i < cfg.peers.size(); ++i) {
      if (cfg.peers[i].via_nostr) {
        p.add(config_detail::index_path("peers", i) + ".via_nostr",
              "at least one peer has `via_nostr = true`, but `node.rendezvous.nostr.enabled` is "
              "false");
        break;
      }
    }
  }
  // 3: peers with nowhere to dial.
  for (size_t i = 0; i < cfg.peers.size(); ++i) {
    const PeerConfig& peer = cfg.peers[i];
    if (peer.addresses.empty() && !peer.via_nostr) {
      std::string pp = config_detail::index_path("peers", i);
      p.add(pp + ".addresses", pp + " (" + peer.npub +
                                   "): must specify at least one address, or set `via_nostr = "
                                   "true` to resolve endpoints from the Nostr advert");
    }
  }
  // 4: NAT UDP adverts need relays and STUN.
  bool nat_udp_advert = false;
  for (const auto& u : cfg.udp) nat_udp_advert |= u.advertise_on_nostr && !u.is_public;
  if (nostr.enabled && nat_udp_advert) {
    if (nostr.dm_relays.empty())
      p.add("node.rendezvous.nostr.dm_relays",
            "NAT UDP advert publishing requires `node.rendezvous.nostr.dm_relays` to be "
            "non-empty");
    if (nostr.stun_servers.empty())
      p.add("node.rendezvous.nostr.stun_servers",
            "NAT UDP advert publishing requires `node.rendezvous.nostr.stun_servers` to be "
            "non-empty");
  }
  // 5: native API floors and ceiling.
  const NativeApiConfig& api = cfg.node.native_api;
  if (api.backlog < 1)
    p.add("node.native_api.backlog",
          "node.native_api.backlog is 0 but must be at least 1: a listener with no backlog "
          "admits no flow, so every arrival would be dropped");
  if (api.pending_per_flow < 1) {
    p.add("node.native_api.pending_per_flow",
          "node.native_api.pending_per_flow is 0 but must be at least 1: a flow that can hold "
          "nothing loses its peer's opening datagram between the arrival being announced and "
          "the client taking the flow");
  } else if (api.pending_per_flow > NativeApiConfig::kMaxPendingPerFlow) {
    p.add("node.native_api.pending_per_flow",
          "node.native_api.pending_per_flow is " + std::to_string(api.pending_per_flow) +
              " but must not exceed " + std::to_string(NativeApiConfig::kMaxPendingPerFlow) +
              ": the whole batch is written onto a socket pair the client cannot read yet, and "
              "a larger one would not fit the send buffer");
  }
  // 6: a loopback-bound UDP socket cannot reach external peers.
  bool external_udp_peer = false;
  for (const auto& peer : cfg.peers)
    for (const auto& a : peer.addresses)
      external_udp_peer |= a.transport == "udp" && !is_loopback_addr_str(a.addr);
  for (const auto& u : cfg.udp) {
    if (u.outbound_only || !is_loopback_addr_str(u.bind_addr) || !external_udp_peer) continue;
    p.add(udp_path(u) + ".bind_addr",
          "is loopback (" + u.bind_addr +
              ") but at least one peer has a non-loopback UDP address; fips cannot reach "
              "external peers from a loopback-bound socket. Use bind_addr: \"0.0.0.0:2121\" "
              "(with kernel-firewall hardening if exposure is a concern), or set "
              "outbound_only: true.");
  }
  // 7: qualified transport names must name a configured udp instance.
  std::vector<std::string> udp_names;
  for (const auto& u : cfg.udp)
    if (u.name) udp_names.push_back(*u.name);
  for (size_t i = 0; i < cfg.peers.size(); ++i) {
    const PeerConfig& peer = cfg.peers[i];
    for (size_t j = 0; j < peer.addresses.size(); ++j) {
      const PeerAddressConfig& a = peer.addresses[j];
      auto slash = a.transport.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == a.transport.size()) continue;
      std::string kind = a.transport.substr(0, slash), want = a.transport.substr(slash + 1);
      std::string ap =
          config_detail::index_path(config_detail::index_path("peers", i) + ".addresses", j) +
          ".transport";
      std::string head = "peer `" + peer.npub + "` has address `" + a.addr + "` on transport `" +
                         a.transport + "`, but ";
      if (kind != "udp") {
        p.add(ap, head +
                      "only `udp` resolves an instance name; for any other type the dialer "
                      "would have to pick an arbitrary instance, which is the wrong-lane dial "
                      "the syntax exists to prevent. Drop the `/" +
                      want + "` qualifier to match any instance of `" + kind + "`.");
        continue;
      }
      bool found = false;
      for (const auto& n : udp_names) found |= n == want;
      if (found) continue;
      std::string known;
      if (udp_names.empty()) {
        known =
            "no named udp instances are configured (the udp transport is a single "
            "unnamed instance)";
      } else {
        known = "configured udp instances are: ";
        for (size_t k = 0; k < udp_names.size(); ++k) known += (k ? ", " : "") + udp_names[k];
      }
      p.add(ap, head + "no udp transport is configured under the instance name `" + want +
                    "`; a qualified name is never substituted, so this address would be "
                    "skipped at every dial and the peer reached only over its other "
                    "addresses, if it has any. " +
                    known + ".");
    }
  }
  // 8-9: rekey triggers that would fire forever.
  const RekeyConfig& rk = cfg.node.rekey;
  if (rk.after_messages == 0)
    p.add("node.rekey.after_messages",
          "`node.rekey.after_messages` must be at least 1; 0 fires the message-count trigger "
          "on every poll instead of disabling it. Use a very large value to effectively "
          "disable the message-count trigger.");
  if (rk.after_secs <= kRekeyJitterSecs) {
    std::string j = std::to_string(kRekeyJitterSecs);
    p.add("node.rekey.after_secs",
          "`node.rekey.after_secs` is " + std::to_string(rk.after_secs) +
              ", but must be greater than the per-session rekey jitter of " + j +
              "s; each session offsets the interval by a random value in [-" + j + ", +" + j +
              "] seconds, so a smaller interval saturates to zero and rekeys on sight for "
              "roughly half of sessions. Use a very large value to effectively disable the "
              "timer trigger.");
  }
  // 10-13: handshake buckets that never admit anything.
  const RateLimitConfig& rl = cfg.node.rate_limit;
  if (rl.established_handshake_burst && *rl.established_handshake_burst == 0)
    p.add("node.rate_limit.established_handshake_burst",
          "`node.rate_limit.established_handshake_burst` is 0, which refuses every rekey and "
          "restart msg1 from an established peer rather than disabling the limit. Omit the key "
          "to derive it from `node.limits.max_peers`, or set a positive burst.");
  if (rl.established_handshake_rate &&
      !(std::isfinite(*rl.established_handshake_rate) && *rl.established_handshake_rate > 0.0))
    p.add("node.rate_limit.established_handshake_rate",
          "`node.rate_limit.established_handshake_rate` is " +
              config_detail::rust_f64(*rl.established_handshake_rate) +
              ", but must be a finite value greater than 0; a non-positive or non-finite refill "
              "rate never replenishes the established-link bucket, so rekey msg1 stops being "
              "admitted once the initial burst is spent. Omit the key to derive it from "
              "`node.limits.max_peers` and `node.rekey.after_secs`.");
  if (rl.session_setup_burst == 0)
    p.add("node.rate_limit.session_setup_burst",
          "`node.rate_limit.session_setup_burst` is 0, which refuses every inbound SessionSetup "
          "rather than disabling the limit. Set a positive burst; a very large value "
          "effectively disables it.");
  if (!(std::isfinite(rl.session_setup_rate) && rl.session_setup_rate > 0.0))
    p.add("node.rate_limit.session_setup_rate",
          "`node.rate_limit.session_setup_rate` is " +
              config_detail::rust_f64(rl.session_setup_rate) +
              ", but must be a finite value greater than 0; a non-positive or non-finite refill "
              "rate never replenishes a link's setup bucket, so that link stops establishing "
              "sessions once its initial burst is spent.");
  // 14-16: Nostr traversal windows and semaphores (checked even when disabled).
  uint64_t window = nostr.signal_ttl_secs > UINT64_MAX - 2 * kFreshnessSkewSecs
                        ? UINT64_MAX
                        : nostr.signal_ttl_secs + 2 * kFreshnessSkewSecs;
  if (window >= nostr.replay_window_secs) {
    std::string w = std::to_string(window);
    p.add("node.rendezvous.nostr.signal_ttl_secs",
          "`node.rendezvous.nostr.signal_ttl_secs` is " + std::to_string(nostr.signal_ttl_secs) +
              ", which with " + std::to_string(kFreshnessSkewSecs) +
              "s of clock-skew grace on each side makes a traversal signal acceptable over a " + w +
              "s window, but `node.rendezvous.nostr.replay_window_secs` is " +
              std::to_string(nostr.replay_window_secs) +
              ". The freshness window must be strictly narrower than the replay window, or a "
              "session id evicted from the replay cache is still fresh enough to be accepted a "
              "second time. Raise `replay_window_secs` above " +
              w + ", or lower `signal_ttl_secs`.");
  }
  if (nostr.max_concurrent_offers_per_npub == 0) {
    p.add("node.rendezvous.nostr.max_concurrent_offers_per_npub",
          "`node.rendezvous.nostr.max_concurrent_offers_per_npub` is 0, which refuses every "
          "inbound traversal offer rather than disabling the per-sender limit. Omit the key for "
          "the default, or set a positive allowance; `max_concurrent_incoming_offers` remains "
          "the outer bound.");
  } else if (nostr.max_concurrent_offers_per_npub > kSemaphoreMaxPermits) {
    p.add("node.rendezvous.nostr.max_concurrent_offers_per_npub",
          "`node.rendezvous.nostr.max_concurrent_offers_per_npub` is " +
              std::to_string(nostr.max_concurrent_offers_per_npub) +
              ", which exceeds the maximum " + std::to_string(kSemaphoreMaxPermits) +
              " permits a semaphore can hold. Use a value at or below "
              "`max_concurrent_incoming_offers`, which is the outer bound anything larger is "
              "inert against.");
  }
}

}  // namespace

Result<void, std::string> validate_config(Config& cfg) {
  Problems p;
  check_values(cfg, p);
  check_reference_rules(cfg, p);
  if (!p.empty()) return Err{p.joined()};
  return {};
}

}  // namespace fips
