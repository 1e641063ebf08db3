// The .fips DNS responder (docs/spec/fsp-ipv6.md §12, §17; reference
// src/upper/dns.rs): a sans-I/O core (Responder) that turns one query
// datagram into at most one reply, and a small I/O shell (DnsServer) that
// owns the UDP socket on the event loop.
// Not here: the DNS wire codec (ipv6/dns_message.h), the hosts file
// (ipv6/hosts.h), the identity cache itself (cache/identity_cache.h: the
// owner registers identities from the on_resolved callback).
//
// Per query (Responder::answer):
//   malformed (any DnsErr, incl. Z bit, QR=1, zero questions, > 512 bytes)
//       -> no reply, counted by kind.
//   Only the first question is evaluated. Its name as text (labels joined
//   by '.') must end in ".fips" (case-insensitive, one trailing '.'
//   allowed); the label before it is looked up in the host map (ASCII
//   case-insensitive), else decoded as an npub (bech32, hrp "npub", valid
//   x-only key).
//     resolvable, QTYPE AAAA -> NOERROR + one AAAA (fd || node_addr[0..15],
//       ttl = dns.ttl); on_resolved(identity, now) is called BEFORE the reply
//       is returned, so the identity cache is filled before the client can
//       send its first packet (reference: same order).
//     resolvable, other QTYPE (A, MX, ANY, ...) -> NOERROR, no answers.
//     anything else (unknown alias, bad npub, any non-.fips name) -> NXDOMAIN.
//   Replies always carry AA=1; never REFUSED, never forwarded.
//
// Deviations from the reference (besides those in dns_message.h/hosts.h):
//   * Mixed-case npub labels resolve (ResponderOptions::mixed_case_npub,
//     default true): DNS names are case-insensitive (RFC 4343) and resolvers
//     using 0x20 randomisation send them; the reference returns NXDOMAIN
//     because BIP-173 forbids mixed case. false restores that behaviour.
//   * npubs with a bech32m checksum are not accepted (our PeerIdentity
//     decoder is BIP-173 only; the reference accepts both).
//   * The AAAA owner name is always the pointer C0 0C to the question, even
//     when a label contains a '.' byte (the reference re-splits the text).
//   * Datagrams longer than 512 bytes are dropped (counted oversize); the
//     reference parses their first 512 bytes.
//
// DnsServer: one non-blocking UDP socket bound to dns.bind_addr:dns.port
// (IPv6 literal -> AF_INET6 with IPV6_V6ONLY=0, so 127.0.0.1 works too when
// bound to "::"; IPv4 literal -> AF_INET), no SO_REUSEADDR. On IPv6 it sets
// IPV6_RECVPKTINFO and drops queries whose arrival ifindex is the mesh
// interface's (tun.name, resolved once at start; no filter when absent or
// when a datagram carries no PKTINFO). Per readiness event it handles at
// most kMaxQueriesPerEvent datagrams (the socket is level-triggered, the
// rest waits for the next round); per query it re-stats the hosts file.
// Replies are sent with MSG_DONTWAIT; a failed send is counted and dropped.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "identity/identity.h"
#include "io/event_loop.h"
#include "io/fd.h"
#include "ipv6/dns_message.h"
#include "ipv6/hosts.h"
#include "transport/addr.h"
#include "util/log.h"

namespace fips::dns {

struct ResponderOptions {
  uint32_t ttl = 300;            // dns.ttl
  bool mixed_case_npub = true;   // see the header comment
};

inline constexpr size_t kDnsErrKinds = 16;  // > the largest DnsErr value

struct ResponderCounters {
  uint64_t queries = 0;       // answer() calls
  uint64_t answered = 0;      // replies produced (= aaaa + nodata + nxdomain)
  uint64_t aaaa_answers = 0;  // AAAA answered, identity handed to on_resolved
  uint64_t nodata = 0;        // resolvable name, other qtype: NOERROR, empty
  uint64_t nxdomain = 0;
  uint64_t malformed = 0;     // no reply; by kind below (index = DnsErr value)
  std::array<uint64_t, kDnsErrKinds> malformed_by_kind{};
};

struct Reply {
  std::array<uint8_t, kMaxReplySize> buf{};
  size_t size = 0;
  [[nodiscard]] std::span<const uint8_t> bytes() const { return {buf.data(), size}; }
};

// The label before ".fips" (case-insensitive suffix, one trailing '.'
// stripped first), or nullopt. "fips", ".fips" and "x.fipsy" have none;
// "a.b.fips" gives "a.b".
std::optional<std::string_view> fips_label(std::string_view name);

class Responder {
 public:
  using ResolvedFn = std::function<void(const PeerIdentity&, uint64_t now_ms)>;

  explicit Responder(ResponderOptions opts, ResolvedFn on_resolved = nullptr);

  // The host map consulted per query (nullptr = none). Not owned; it must
  // outlive its use (DnsServer points it at its reloader's map).
  void set_hosts(const HostMap* hosts) { hosts_ = hosts; }
  void set_on_resolved(ResolvedFn f) { on_resolved_ = std::move(f); }

  // Resolution only: a qname in text form -> identity (hosts, then npub).
  [[nodiscard]] std::optional<PeerIdentity> resolve(std::string_view qname) const;

  // One query datagram -> the reply to send, or nullopt (malformed: drop).
  [[nodiscard]] std::optional<Reply> answer(std::span<const uint8_t> query, uint64_t now_ms);

  [[nodiscard]] const ResponderCounters& counters() const { return counters_; }
  [[nodiscard]] const ResponderOptions& options() const { return opts_; }

 private:
  void count_malformed(DnsErr e);

  ResponderOptions opts_;
  ResolvedFn on_resolved_;
  const HostMap* hosts_ = nullptr;
  ResponderCounters counters_;
};

inline constexpr size_t kMaxQueriesPerEvent = 64;

struct DnsServerOptions {
  std::string bind_addr = "::1";  // an IP literal, no port, no scope
  uint16_t port = 5354;           // 0 = ephemeral (tests)
  ResponderOptions responder;
  std::string hosts_path = kDefaultHostsPath;
  // Queries arriving on this interface are dropped (the TUN, tun.name).
  // Empty or not present at start(): no filter.
  std::string mesh_interface;

  // dns.* and tun.name from the config; hosts_path stays the default.
  static DnsServerOptions from_config(const Config& cfg);
};

struct DnsServerCounters {
  uint64_t datagrams = 0;     // received
  uint64_t mesh_dropped = 0;  // arrived on the mesh interface
  uint64_t oversize = 0;      // longer than 512 bytes (MSG_TRUNC)
  uint64_t recv_errors = 0;
  uint64_t send_errors = 0;
  uint64_t event_cap_hits = 0;  // a readiness event stopped at kMaxQueriesPerEvent
  uint64_t hosts_reloads = 0;
};

class DnsServer {
 public:
  // base: the peer-alias map (host_map_from_peers), merged under the hosts file.
  DnsServer(EventLoop& loop, DnsServerOptions opts, HostMap base,
            Responder::ResolvedFn on_resolved);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Loads the hosts file (warnings logged), binds and registers the socket.
  // Errors: "dns.bind_addr 'x' is not an IP address", "dns bind [::1]:5354:
  // Address already in use", ... The caller logs and runs on without DNS
  // (reference: warn, node Degraded).
  [[nodiscard]] Result<void, std::string> start();
  void stop();

  [[nodiscard]] bool running() const { return fd_.valid(); }
  // The bound address (with the kernel-chosen port when port was 0).
  [[nodiscard]] const TransportAddr& local_addr() const { return bound_; }
  [[nodiscard]] std::optional<uint32_t> mesh_ifindex() const { return mesh_ifindex_; }
  [[nodiscard]] const Responder& responder() const { return responder_; }
  [[nodiscard]] const DnsServerCounters& counters() const { return counters_; }
  [[nodiscard]] const HostMap& hosts() const { return reloader_.hosts(); }

  // Handles up to kMaxQueriesPerEvent pending datagrams (the loop handler;
  // public so tests can drive it without a loop).
  void on_readable();

 private:
  void reload_hosts();

  EventLoop& loop_;
  DnsServerOptions opts_;
  HostsReloader reloader_;
  Responder responder_;
  UniqueFd fd_;
  bool v6_ = false;
  bool registered_ = false;
  TransportAddr bound_;
  std::optional<uint32_t> mesh_ifindex_;
  DnsServerCounters counters_;
  RateLimitedLog io_log_{10000};
};

}  // namespace fips::dns
