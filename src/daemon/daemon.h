// The `fips` daemon's I/O shell: owns the event loop, packet pool,
// transports, the sans-I/O Node and the control socket, and turns one into
// the other. Single-threaded: every handler runs on the loop thread.
// Not here: protocol logic (node/), config parsing (config/).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "control/server.h"
#include "dataplane/buffer_pool.h"
#include "identity/identity.h"
#include "io/event_loop.h"
#include "ipv6/adapter.h"
#include "ipv6/dns.h"
#include "ipv6/hosts.h"
#include "ipv6/tun.h"
#include "node/node.h"
#include "node/peer_acl.h"
#include "node/probes.h"
#include "node/session_layer.h"
#include "node/stats_history.h"
#include "transport/transport.h"
#include "util/result.h"

namespace fips {

class ControlServer;
class DaemonControl;

class Daemon : public TransportSink, public LinkIo, public ipv6::TunSink {
 public:
  Daemon(Config cfg, Identity id, bool persistent);
  ~Daemon() override;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts transports (at least one must come up), the control socket and
  // dials configured peers. An error here is fatal (the message says why).
  [[nodiscard]] Result<void, std::string> start();
  // Runs until SIGINT/SIGTERM (or stop()); returns the process exit code.
  int run();
  void stop() { loop_.stop(); }

  // TransportSink
  void on_packet(TransportId tid, const TransportAddr& from, PacketBuf&& pkt) override;
  void on_burst_end() override;
  void on_connect_failed(TransportId tid, const TransportAddr& to) override;
  void on_connection_closed(TransportId tid, const TransportAddr& to) override;

  // LinkIo
  PacketBuf alloc() override { return pool_.acquire(); }
  bool send(TransportId tid, const TransportAddr& to, PacketBuf&& pkt) override;
  uint16_t mtu(TransportId tid, const TransportAddr& to) const override;
  bool accepts_inbound(TransportId tid) const override;
  void close_connection(TransportId tid, const TransportAddr& to) override;
  void link_authenticated(TransportId tid, const TransportAddr& at) override;
  uint64_t wall_ms() const override;

  // TunSink
  void on_tun_packet(PacketBuf&& pkt) override;
  void on_tun_burst_end() override { on_burst_end(); }

  // For the control socket.
  Node& node() { return *node_; }
  SessionLayer& sessions() { return *sessions_; }
  ProbeRegistry& probes() { return *probes_; }
  const ipv6::Ipv6Adapter* adapter() const { return adapter_.get(); }
  const ipv6::TunDevice* tun() const { return tun_.get(); }
  const dns::DnsServer* dns() const { return dns_.get(); }
  const Config& config() const { return cfg_; }
  const std::vector<std::unique_ptr<Transport>>& transports() const { return transports_; }
  Transport* transport(TransportId tid) const;
  // First running transport of this type ("udp", "tcp") or instance ("udp/name").
  Transport* find_transport(std::string_view spec) const;
  StatusSnapshot status_snapshot() const;
  // Metric history (node/stats_history.h), sampled once a second.
  stats::StatsHistory& history();
  std::vector<TransportSnapshot> transport_snapshots() const;
  bool persistent() const { return persistent_; }
  const std::string& control_socket_path() const { return control_path_; }
  uint64_t started_mono_ms() const { return started_ms_; }
  // Operator-facing names for display_name fields: peer aliases merged under
  // /etc/fips/hosts (the file wins), reloaded when the file changes (one
  // stat per call; the control handler calls it once per request).
  const HostMap& host_names();
  EventLoop& event_loop() { return loop_; }
  // show_acl: the peer ACL, re-read first if a file changed.
  PeerAclStatus peer_acl_status();
  // Delivers a deferred control reply (see ControlServer::complete).
  void complete_control(uint64_t ticket, ControlReply reply);

 private:
  void on_timer();
  void sample_history(uint64_t now);  // daemon/stats_sampler.cc
  // Re-reads peers.allow / peers.deny / hosts when one changed (3 stats).
  void reload_peer_acl();
  void on_signal(int signo);
  void add_configured_peers(uint64_t now);
  void start_tun();
  void start_dns();
  uint16_t transport_mtu() const;  // min MTU of the running transports

  Config cfg_;
  std::vector<std::string> inactive_keys_;  // config/inactive.h, for show_status
  HostsReloader hosts_;                      // display names (host_names())
  // peers.allow / peers.deny (docs/spec/peer-acl.md), checked every second;
  // the link layer reads acl_.acl().
  PeerAclReloader acl_;
  uint64_t next_acl_check_ms_ = 0;
  Identity id_;
  bool persistent_;
  Epoch epoch_{};
  EventLoop loop_;
  BufferPool pool_;
  std::vector<std::unique_ptr<Transport>> transports_;  // index = tid - 1
  std::unique_ptr<Node> node_;
  std::unique_ptr<SessionLayer> sessions_;
  std::unique_ptr<ProbeRegistry> probes_;  // probe_start / probe_poll / probe_cancel
  std::unique_ptr<ipv6::TunDevice> tun_;
  std::unique_ptr<ipv6::Ipv6Adapter> adapter_;
  std::unique_ptr<dns::DnsServer> dns_;
  uint64_t next_session_tick_ = 0;
  std::unique_ptr<stats::StatsHistory> history_;
  std::vector<stats::PeerSample> history_peers_;  // reused each sample
  std::unique_ptr<DaemonControl> control_handler_;
  std::unique_ptr<ControlServer> control_;
  std::string control_path_;
  uint64_t started_ms_ = 0;
  bool dirty_ = false;  // sends queued since the last flush
  int exit_code_ = 0;
};

}  // namespace fips
