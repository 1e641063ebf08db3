#include "daemon/daemon.h"

#include <algorithm>

#include <netdb.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "config/inactive.h"
#include "config/paths.h"
#include "config/peer_addresses.h"
#include "control/server.h"
#include "crypto/random.h"
#include "daemon/control_handler.h"
#include "transport/tcp.h"
#include "transport/udp.h"
#include "util/log.h"
#include "version.h"

namespace fips {
namespace {

// Buffers: largest MTU we carry plus headroom for prepended headers and
// tailroom for AEAD tags; 4096 buffers = 8 MiB for the default 2 KiB size.
constexpr size_t kPoolBuffers = 4096;
constexpr size_t kHeadroom = 128;

size_t buffer_size_for(const Config& cfg) {
  size_t mtu = 1280;
  for (auto& u : cfg.udp) mtu = std::max<size_t>(mtu, u.mtu);
  for (auto& t : cfg.tcp) mtu = std::max<size_t>(mtu, t.mtu);
  if (cfg.tun.enabled) mtu = std::max<size_t>(mtu, cfg.tun.mtu);
  return std::max<size_t>(2048, mtu + kHeadroom + 128);
}

// FIPS_PEERS_ALLOW / FIPS_PEERS_DENY move the ACL files (ours: tests run
// several daemons on one host; the reference's paths are fixed).
std::string env_path(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

// host:port with a hostname: resolve once at start-up (blocking is fine here).
std::optional<TransportAddr> resolve(const std::string& s) {
  if (auto a = TransportAddr::parse(s)) return a;
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = s.substr(0, colon), port = s.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) return std::nullopt;
  TransportAddr a = TransportAddr::from_sockaddr(res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  return a.valid() ? std::optional(a) : std::nullopt;
}

}  // namespace

Daemon::Daemon(Config cfg, Identity id, bool persistent)
    : cfg_(std::move(cfg)),
      hosts_(host_map_from_peers(cfg_.peers).map, kDefaultHostsPath),
      acl_(host_map_from_peers(cfg_.peers).map, env_path("FIPS_PEERS_ALLOW", kDefaultPeersAllowPath),
           env_path("FIPS_PEERS_DENY", kDefaultPeersDenyPath), kDefaultHostsPath),
      id_(std::move(id)),
      persistent_(persistent),
      pool_(kPoolBuffers, buffer_size_for(cfg_), kHeadroom) {
  random_bytes(epoch_);
  node_ = std::make_unique<Node>(id_, epoch_, node_options_from(cfg_), *this, random_u64());
  node_->link().set_peer_acl(&acl_.acl());
  ipv6::PendingLimits pl;
  pl.per_dest = static_cast<size_t>(cfg_.node.session.pending_packets_per_dest);
  pl.max_destinations = static_cast<size_t>(cfg_.node.session.pending_max_destinations);
  sessions_ = std::make_unique<SessionLayer>(*node_, *this, epoch_, fsp::SessionParams::from_config(cfg_.node),
                                             pl, random_u64());
  // The stages run on the 1 s session tick (node.tick_interval_secs is not acted on).
  probes_ = std::make_unique<ProbeRegistry>(*node_, *sessions_, 1000, cfg_.node.lookup.attempt_timeouts_secs);
}

Daemon::~Daemon() = default;

Transport* Daemon::transport(TransportId tid) const {
  if (tid == 0 || tid > transports_.size()) return nullptr;
  return transports_[tid - 1].get();
}

Transport* Daemon::find_transport(std::string_view spec) const {
  std::string_view type = spec, name;
  if (size_t slash = spec.find('/'); slash != std::string_view::npos) {
    type = spec.substr(0, slash);
    name = spec.substr(slash + 1);
  }
  for (auto& t : transports_) {
    if (!t || t->type() != type || t->state() != TransportState::kUp) continue;
    if (!name.empty() && t->name() != std::optional<std::string>(std::string(name))) continue;
    return t.get();
  }
  return nullptr;
}

namespace {
// FIPS_OFFLOAD=0 turns off the TUN offloads and UDP GSO (ours; a diagnostic
// switch for kernels or devices that mishandle them, and for A/B benchmarks).
bool offload_enabled() {
  const char* v = std::getenv("FIPS_OFFLOAD");
  return !(v && std::string_view(v) == "0");
}
}  // namespace

Result<void, std::string> Daemon::start() {
  started_ms_ = monotonic_ms();
  // One warning per configured key this version ignores (an operator who
  // enables a feature must not believe it runs); show_status lists them.
  inactive_keys_.clear();
  for (const InactiveKey& k : inactive_config(cfg_)) {
    LOG_WARN("%s", inactive_warning(k).c_str());
    inactive_keys_.push_back(k.key);
  }
  TransportId next = 1;
  size_t up = 0;
  for (const UdpTransportConfig& u : cfg_.udp) {
    auto t = std::make_unique<UdpTransport>(next++, u, loop_, pool_, *this);
    t->set_gso(offload_enabled());
    if (auto r = t->start(); !r) {
      LOG_ERROR("udp transport %s failed: %s", u.bind_addr.c_str(), r.error().c_str());
    } else {
      LOG_INFO("udp transport %u listening on %s (mtu %u)", t->id(), t->local_addr().c_str(), u.mtu);
      ++up;
    }
    transports_.push_back(std::move(t));
  }
  for (const TcpTransportConfig& c : cfg_.tcp) {
    const TcpTransportConfig& tc = c;
    auto t = std::make_unique<TcpTransport>(next++, tc, loop_, pool_, *this,
                                            cfg_.node.limits.max_connections);
    if (auto r = t->start(); !r) {
      LOG_ERROR("tcp transport failed: %s", r.error().c_str());
    } else {
      LOG_INFO("tcp transport %u %s%s (mtu %u)", t->id(),
               tc.bind_addr ? "listening on " : "outbound only", t->local_addr().c_str(), tc.mtu);
      ++up;
    }
    transports_.push_back(std::move(t));
  }
  if (up == 0) return Err{std::string("no operational transports")};
  sessions_->set_transport_mtu(transport_mtu());
  node_->set_lookup_done([this](const lookup::LookupEvent& e) {
    sessions_->on_lookup_done(e, monotonic_ms());
    if (control_handler_) control_handler_->on_lookup_done(e);
  });
  start_tun();
  start_dns();

  if (cfg_.node.control.enabled) {
    control_path_ = fips::control_socket_path(cfg_.node.control.socket_path);
    control_handler_ = std::make_unique<DaemonControl>(*this);
    control_ = std::make_unique<ControlServer>(loop_, *control_handler_);
    if (auto r = control_->start(control_path_); !r) {
      LOG_WARN("Failed to bind control socket error=%s", r.error().c_str());
      control_.reset();
    } else {
      LOG_INFO("control socket listening on %s", control_path_.c_str());
    }
  }

  loop_.on_timer([this] { on_timer(); });
  if (!loop_.watch_signals([this](int s) { on_signal(s); }))
    return Err{std::string("cannot install signal handlers")};

  LOG_INFO("node %s (%s) starting, fips %s", id_.npub().c_str(), id_.address().str().c_str(),
           FIPS_VERSION_STRING);
  reload_peer_acl();  // before the first dial: denied peers are not dialled
  add_configured_peers(monotonic_ms());
  loop_.set_deadline(monotonic_ms() + 1);
  return {};
}

void Daemon::add_configured_peers(uint64_t now) {
  for (size_t i = 0; i < cfg_.peers.size(); ++i) {
    const PeerConfig& pc = cfg_.peers[i];
    auto id = PeerIdentity::from_npub(pc.npub);
    if (!id) {
      LOG_WARN("peers[%zu]: %s; skipped", i, id.error().message().c_str());
      continue;
    }
    if (pc.alias) node_->link().set_alias(id->node_addr(), *pc.alias);
    if (pc.connect_policy != ConnectPolicy::kAutoConnect) continue;
    // Lowest priority value first (the link layer dials the first few at once).
    std::vector<DialTarget> targets;
    for (const PeerAddressConfig* ap : addresses_by_priority(pc)) {
      const PeerAddressConfig& a = *ap;
      Transport* t = find_transport(a.transport);
      auto addr = resolve(a.addr);
      if (!t || !addr) {
        LOG_WARN("peer %s: address %s over %s is not usable (%s)", pc.npub.c_str(), a.addr.c_str(),
                 a.transport.c_str(), !t ? "no such transport running" : "cannot resolve");
        continue;
      }
      targets.push_back(DialTarget{t->id(), *addr});
    }
    if (targets.empty()) {
      LOG_WARN("peer %s has no usable address; not dialling", pc.npub.c_str());
      continue;
    }
    node_->link().add_static_peer(*id, std::move(targets), pc.auto_reconnect, now);
  }
  on_burst_end();
}

uint16_t Daemon::transport_mtu() const {
  uint16_t m = 0;
  for (auto& t : transports_)
    if (t && t->state() == TransportState::kUp && (m == 0 || t->mtu() < m)) m = t->mtu();
  return m ? m : 1280;
}

// The IPv6 adapter (reference order: after transports, before DNS). A TUN
// that cannot be created is not fatal: the node runs without it (Degraded in
// the reference), as "Failed to initialize TUN, continuing without it".
void Daemon::start_tun() {
  if (!cfg_.tun.enabled) return;
  ipv6::TunOptions topts;
  topts.offload = offload_enabled();
  if (!topts.offload) LOG_INFO("FIPS_OFFLOAD=0: TUN offloads and UDP GSO are off");
  tun_ = std::make_unique<ipv6::TunDevice>(loop_, pool_, *this, topts);
  if (auto r = tun_->start(cfg_.tun, id_.address()); !r) {
    LOG_WARN("Failed to initialize TUN, continuing without it: %s", r.error().c_str());
    return;
  }
  ipv6::AdapterConfig ac;
  ac.our_addr = id_.address();
  ac.transport_mtu = transport_mtu();
  ac.seed = random_u64();
  adapter_ = std::make_unique<ipv6::Ipv6Adapter>(ac, *sessions_);
  sessions_->attach_ipv6(adapter_.get(), [this](PacketBuf&& p) { return tun_->write(std::move(p)); });
  LOG_INFO("TUN %s up: %s/128, mtu %u (effective IPv6 MTU %u)", tun_->name().c_str(),
           id_.address().str().c_str(), tun_->mtu(), adapter_->effective_mtu());
}

// The .fips DNS responder: a resolved name registers the identity, so the
// IPv6 adapter can map the address back to a key when packets follow.
void Daemon::start_dns() {
  if (!cfg_.dns.enabled) return;
  auto base = host_map_from_peers(cfg_.peers);
  for (const std::string& w : base.warnings) LOG_WARN("%s", w.c_str());
  dns_ = std::make_unique<dns::DnsServer>(loop_, dns::DnsServerOptions::from_config(cfg_), std::move(base.map),
                                          [this](const PeerIdentity& id, uint64_t now) {
                                            node_->identity_cache().register_identity(id, now);
                                          });
  if (auto r = dns_->start(); !r) {
    LOG_WARN("Failed to start DNS responder, continuing without it: %s", r.error().c_str());
    dns_.reset();
    return;
  }
  LOG_INFO("DNS responder for .fips listening on %s", dns_->local_addr().str().c_str());
}

void Daemon::on_tun_packet(PacketBuf&& pkt) {
  sessions_->on_tun_packet(std::move(pkt), monotonic_ms());
}

int Daemon::run() {
  if (!loop_.run()) {
    LOG_ERROR("event loop failed: %s", std::strerror(errno));
    return 1;
  }
  return exit_code_;
}

void Daemon::on_timer() {
  const uint64_t now = monotonic_ms();
  node_->tick(now);
  if (now >= next_session_tick_) {
    sessions_->tick(now);
    // ECN: kernel receive drops on any transport count as congestion.
    for (auto& t : transports_)
      if (t) node_->sample_kernel_drops(t->id(), t->stats().kernel_drops);
    probes_->tick(now);
    sample_history(now);
    next_session_tick_ = now + 1000;
  }
  if (control_handler_) control_handler_->expire(now);
  if (now >= next_acl_check_ms_) {
    reload_peer_acl();
    next_acl_check_ms_ = now + 1000;  // the reference's tick
  }
  for (auto& t : transports_)
    if (auto* tcp = dynamic_cast<TcpTransport*>(t.get())) tcp->tick(now);
  on_burst_end();
  loop_.set_deadline(std::min(node_->next_deadline(now), next_session_tick_));
}

void Daemon::on_signal(int signo) {
  if (signo == SIGHUP) {
    LOG_INFO("SIGHUP ignored (configuration reload is not supported)");
    return;
  }
  LOG_INFO("received %s, shutting down", signo == SIGTERM ? "SIGTERM" : "SIGINT");
  sessions_->shutdown();
  node_->link().shutdown(monotonic_ms());  // Disconnect(Shutdown) to every peer
  on_burst_end();
  if (dns_) dns_->stop();
  if (tun_) tun_->stop();
  if (control_) control_->stop();
  loop_.stop();
}

// ---- TransportSink ----

void Daemon::on_packet(TransportId tid, const TransportAddr& from, PacketBuf&& pkt) {
  node_->on_packet(tid, from, std::move(pkt), monotonic_ms());
}

void Daemon::on_burst_end() {
  if (tun_) tun_->flush();  // segments held for coalescing (GRO)
  if (!dirty_) return;
  dirty_ = false;
  for (auto& t : transports_)
    if (t && t->state() == TransportState::kUp) t->flush();
}

void Daemon::on_connect_failed(TransportId tid, const TransportAddr& to) {
  node_->link().on_connect_failed(tid, to, monotonic_ms());
}

void Daemon::on_connection_closed(TransportId tid, const TransportAddr& to) {
  node_->link().on_connection_closed(tid, to, monotonic_ms());
  on_burst_end();
}

// ---- LinkIo ----

bool Daemon::send(TransportId tid, const TransportAddr& to, PacketBuf&& pkt) {
  Transport* t = transport(tid);
  if (!t) return false;
  dirty_ = true;
  return t->send(to, std::move(pkt));
}

uint16_t Daemon::mtu(TransportId tid, const TransportAddr& to) const {
  Transport* t = transport(tid);
  return t ? t->mtu_to(to) : 0;
}

bool Daemon::accepts_inbound(TransportId tid) const {
  Transport* t = transport(tid);
  return t && t->accepts_inbound();
}

void Daemon::close_connection(TransportId tid, const TransportAddr& to) {
  if (Transport* t = transport(tid)) t->close_connection(to);
}

void Daemon::link_authenticated(TransportId tid, const TransportAddr& at) {
  if (Transport* t = transport(tid)) t->mark_authenticated(at);
}

uint64_t Daemon::wall_ms() const { return unix_ms(); }

const HostMap& Daemon::host_names() {
  std::vector<std::string> warnings;
  if (hosts_.check_reload(warnings)) {
    // The DNS responder reads the same file and already warns about it.
    for (const std::string& w : warnings) {
      if (dns_) LOG_DEBUG("%s", w.c_str());
      else LOG_WARN("%s", w.c_str());
    }
  }
  return hosts_.hosts();
}

void Daemon::reload_peer_acl() {
  std::vector<std::string> warnings;
  const bool first = acl_.reloads() == 0;
  if (!acl_.check_reload(warnings)) return;
  for (const std::string& w : warnings) LOG_WARN("%s", w.c_str());
  const PeerAcl& a = acl_.acl();
  // The reference's levels: the start-up load at debug (when there is
  // anything), each later reload at info.
  if (first && a.empty()) return;
  const std::string what = first ? "Loaded" : "Reloaded";
  FIPS_LOG(first ? LogLevel::kDebug : LogLevel::kInfo,
           "%s peer ACL files allow_file=%s deny_file=%s allow_entries=%zu deny_entries=%zu "
           "alias_entries=%zu allow_all=%s deny_all=%s",
           what.c_str(), acl_.allow_path().c_str(), acl_.deny_path().c_str(), a.allow_count(),
           a.deny_count(), acl_.alias_count(), a.allow_all() ? "true" : "false",
           a.deny_all() ? "true" : "false");
}

PeerAclStatus Daemon::peer_acl_status() {
  reload_peer_acl();
  return acl_.status();
}

void Daemon::complete_control(uint64_t ticket, ControlReply reply) {
  if (control_) control_->complete(ticket, std::move(reply));
}

}  // namespace fips
