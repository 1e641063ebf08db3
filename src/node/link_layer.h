// FMP link layer, sans-I/O: turns transport packets into authenticated peers
// (Noise IK), encrypts/decrypts established frames, and runs the link
// lifecycle (resends, timeouts, heartbeats, dead detection, rekey with K-bit
// cutover and drain, reconnect with backoff) and link MMP (measurement
// reports sent and processed per peer, proto/mmp/link_mmp.h). Time is passed in; I/O goes
// through LinkIo; decrypted link messages go up through LinkUpper.
// Behaviour follows the reference as documented in docs/spec/fmp-link.md
// (its §9 says where and why we deliberately differ).
// Not here: sockets (transport/), routing (tree, bloom, lookup), sessions.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dataplane/buffer_pool.h"
#include "node/link_types.h"
#include "util/lru_table.h"
#include "node/msg1_memory.h"
#include "node/snapshot.h"
#include "proto/token_bucket.h"
#include "util/rng.h"

namespace fips {

class PeerAcl;  // node/peer_acl.h
enum class AclContext : uint8_t;

struct LinkConfig {
  uint64_t heartbeat_interval_ms = 10'000;
  uint64_t link_dead_timeout_ms = 30'000;
  uint64_t handshake_timeout_ms = 30'000;
  uint64_t first_resend_ms = 1'000;  // reference: hard-coded
  uint64_t resend_interval_ms = 1'000;
  double resend_backoff = 2.0;
  uint32_t max_resends = 5;
  bool rekey_enabled = true;
  uint64_t rekey_after_ms = 120'000;
  uint64_t rekey_after_messages = 65'536;
  uint64_t rekey_jitter_ms = 15'000;        // +/- per session
  uint64_t rekey_min_session_age_ms = 30'000;
  uint64_t rekey_dampening_ms = 30'000;
  uint64_t drain_window_ms = 10'000;
  uint32_t decrypt_failure_threshold = 20;
  uint64_t max_peers = 128;        // 0 = unlimited
  uint64_t max_connections = 256;  // pending outbound legs; 0 = unlimited
  uint64_t max_links = 256;        // 0 = unlimited
  double handshake_burst = 100, handshake_rate = 10;
  double established_burst = 128, established_rate = 6.4;
  // Ours (issue 15): a stranger's msg1 first takes a token from its source
  // host's own bucket (IPv4 address or IPv6 /64, any port), so garbage from
  // one host cannot drain the global stranger bucket for everyone; at most
  // max_sources hosts are tracked (oldest forgotten). A msg1 from an address
  // we dial a configured peer at takes from the expected bucket instead,
  // which strangers cannot drain.
  double source_burst = 8, source_rate = 2;
  size_t max_sources = 4096;
  double expected_burst = 32, expected_rate = 8;
  // Ours (issue 15): at max_peers a stranger newcomer displaces a stranger
  // that has sent no frame for unproven_grace_ms after its link was made, or
  // (bounded by idle_evict_burst/rate) one that carried nothing but
  // heartbeats and MMP reports for stranger_idle_ms. 0 turns a rule off.
  uint64_t unproven_grace_ms = 2'000;
  uint64_t stranger_idle_ms = 30'000;
  double idle_evict_burst = 2, idle_evict_rate = 1;
  uint64_t retry_base_ms = 5'000;
  uint64_t retry_max_ms = 300'000;
  uint32_t max_retries = 5;
  double retry_jitter = 0.2;  // +/- fraction applied to every backoff delay
  uint32_t max_parallel_dials = 4;
  uint32_t max_dials_per_tick = 16;
  // node.mmp.*: reporting mode, OWD ring size, operator log interval.
  mmp::Mode mmp_mode = mmp::Mode::kFull;
  size_t mmp_owd_window = mmp::kDefaultOwdWindow;
  uint64_t mmp_log_interval_ms = 30'000;
};

// I/O the link layer needs from its shell (daemon, simulator, tests).
class LinkIo {
 public:
  virtual ~LinkIo() = default;
  virtual PacketBuf alloc() = 0;  // empty packet with headroom (>= 64) and tailroom (>= 32)
  virtual bool send(TransportId, const TransportAddr&, PacketBuf&&) = 0;
  virtual uint16_t mtu(TransportId, const TransportAddr&) const = 0;
  virtual bool accepts_inbound(TransportId) const = 0;
  virtual void close_connection(TransportId, const TransportAddr&) = 0;
  // A handshake over this path completed: the peer is authenticated there.
  virtual void link_authenticated(TransportId, const TransportAddr&) {}
  virtual uint64_t wall_ms() const = 0;
};

// The layers above FMP (tree, bloom, lookup, forwarding, sessions).
class LinkUpper {
 public:
  virtual ~LinkUpper() = default;
  virtual void on_peer_up(const Peer&, uint64_t now_ms) = 0;
  virtual void on_peer_down(const NodeAddr&, uint64_t now_ms) = 0;
  // A decrypted link message other than Heartbeat/Disconnect: `frame` holds
  // the message starting at its msg_type byte (headroom before it is free).
  // ce: the carrying frame had the CE (congestion experienced) flag.
  // Return false if the message was not understood (counted as unhandled).
  virtual bool on_link_message(Peer&, uint8_t msg_type, PacketBuf&& frame, bool ce, uint64_t now_ms) = 0;
  // The peer's link MMP just took its first SRTT sample: its link cost is
  // now measured (docs/spec/stp-bloom.md §4.4, first-RTT re-evaluation).
  virtual void on_first_rtt(Peer&, uint64_t /*now_ms*/) {}
};

class LinkLayer {
 public:
  LinkLayer(const Identity& local, const Epoch& epoch, LinkConfig cfg, LinkIo& io,
            LinkUpper* upper, uint64_t rng_seed);
  LinkLayer(const LinkLayer&) = delete;
  LinkLayer& operator=(const LinkLayer&) = delete;
  ~LinkLayer();

  // ---- inputs ----
  void on_packet(TransportId tid, const TransportAddr& from, PacketBuf&& pkt, uint64_t now_ms);
  // Periodic maintenance; call at least every tick_interval (1 s).
  void tick(uint64_t now_ms);
  // A connection-oriented transport failed to reach `to`.
  void on_connect_failed(TransportId tid, const TransportAddr& to, uint64_t now_ms);
  // A connection-oriented transport lost its connection to `addr`.
  void on_connection_closed(TransportId tid, const TransportAddr& addr, uint64_t now_ms);

  // ---- peers we want ----
  // Registers a peer to keep connected (config peers with auto_connect):
  // dialled now and, after failures or link loss, with backoff.
  void add_static_peer(const PeerIdentity& id, std::vector<DialTarget> targets,
                       bool auto_reconnect, uint64_t now_ms);
  enum class DialResult : uint8_t {
    kStarted, kAlreadyConnected, kAlreadyConnecting, kNoSlots, kFailed, kRefreshed,
    kDenied  // the peer ACL denies this peer (node/peer_acl.h)
  };
  // One-off dial (control API connect). Not retried. For a peer already
  // connected, `target` is tried as another path, as the reference's connect
  // does: when it differs from the link's path, or is that path but nothing
  // has arrived for max(heartbeat interval, 1 s), a link handshake (a rekey
  // msg1) goes to `target` while the live session keeps running, and the link
  // moves there only once that handshake authenticates (kRefreshed). A fresh
  // peer on that very path, or one with a handshake already under way, gives
  // kAlreadyConnected. The peer answers only if its session is old enough to
  // rekey (30 s); otherwise the probe goes unanswered and is abandoned. A
  // peer the ACL denies gets kDenied, whether linked or not, except on a
  // fresh path where nothing would be sent (as the reference's connect).
  DialResult dial(const PeerIdentity& id, const DialTarget& target, uint64_t now_ms);
  // Sends Disconnect(reason), removes the peer, closes its connection and
  // cancels retries. False if not connected.
  bool disconnect(const NodeAddr& addr, fmp::DisconnectReason reason, uint64_t now_ms);
  // Disconnect(Shutdown) to every peer (best effort), then forget them all.
  void shutdown(uint64_t now_ms);

  // ---- sending ----
  // Sends one link message (starting at msg_type) to a peer. `msg` must have
  // >= 20 bytes of headroom and >= 16 of tailroom (LinkIo::alloc() buffers do).
  bool send_message(Peer& p, PacketBuf&& msg, uint64_t now_ms, uint8_t extra_flags = 0);
  // Convenience: copies bytes into a fresh buffer.
  bool send_message_bytes(Peer& p, ByteSpan msg, uint64_t now_ms, uint8_t extra_flags = 0);

  // ---- queries ----
  Peer* find_peer(const NodeAddr& a);
  // Whether a live link runs over (tid, addr): what a msg1 from there is
  // admitted as (established or stranger).
  [[nodiscard]] bool has_link_at(TransportId tid, const TransportAddr& addr) const {
    return path_refs_.count(PathKey{tid, addr}) != 0;
  }
  [[nodiscard]] size_t peer_count() const { return peers_.size(); }
  [[nodiscard]] size_t pending_count() const { return legs_.size(); }
  template <class F>
  void for_each_peer(F&& f) {
    for (auto& [a, p] : peers_) f(*p);
  }
  [[nodiscard]] const LinkCounters& counters() const { return counters_; }
  [[nodiscard]] const LinkConfig& config() const { return cfg_; }
  [[nodiscard]] const Identity& local() const { return local_; }
  std::vector<PeerSnapshot> peer_snapshots(uint64_t now_ms) const;
  std::vector<LinkSnapshot> link_snapshots() const;
  std::vector<ConnectionSnapshot> connection_snapshots(uint64_t now_ms) const;
  // Peer access control (node/peer_acl.h; docs/spec/peer-acl.md §4): asked
  // when a msg1 reveals a new (or restarted) peer's key, when the msg2
  // answering our dial arrives, and before dialling a peer we are not linked
  // to. A denied peer gets no msg2 and no link; links already up stay.
  // nullptr (the default) allows everyone. Must outlive the link layer.
  void set_peer_acl(const PeerAcl* acl) { acl_ = acl; }
  // Peer display names set by config aliases.
  void set_alias(const NodeAddr& a, std::string alias) { aliases_[a] = std::move(alias); }
  std::string display_name(const NodeAddr& a) const;
  // Deadline by which tick() should next be called.
  [[nodiscard]] uint64_t next_deadline(uint64_t now_ms) const;

 private:
  struct IndexEntry {
    Peer* peer;
  };
  static uint64_t index_key(TransportId t, uint32_t idx) { return (uint64_t{t} << 32) | idx; }

  // receive paths
  void on_established(TransportId tid, const TransportAddr& from, PacketBuf&& pkt, uint64_t now);
  void on_msg1(TransportId tid, const TransportAddr& from, ByteSpan pkt, uint64_t now);
  void on_msg2(TransportId tid, const TransportAddr& from, ByteSpan pkt, uint64_t now);
  void deliver(Peer& p, TransportId tid, const TransportAddr& from, PacketBuf&& pkt,
               size_t plain_len, uint64_t counter, uint64_t now);

  // handshake helpers
  std::optional<uint32_t> alloc_index();
  void free_index(uint32_t idx);
  bool start_leg(const PeerIdentity& id, const DialTarget& t, uint64_t now);
  void drop_leg(uint64_t key);
  Peer& promote(const PeerIdentity& id, bool outbound, TransportId tid, const TransportAddr& addr,
                HandshakeResult&& hs, uint32_t our_index, uint32_t their_index, uint64_t now);
  Peer& promote_session(const PeerIdentity& id, bool outbound, TransportId tid,
                        const TransportAddr& addr, std::unique_ptr<LinkSession> s, uint64_t now);
  void remove_peer(NodeAddr a, uint64_t now, bool schedule_reconnect);  // by value: callers pass a peer's own address
  void cutover(Peer& p, uint64_t now);
  // The peer's first frame under keys from a restart msg1: the old link goes,
  // a new one with those keys takes its place. Returns the new peer.
  Peer& replace_restarted(Peer& old, TransportId tid, const TransportAddr& from, uint64_t now);
  void register_index(TransportId tid, uint32_t idx, Peer* p);
  void unregister_index(TransportId tid, uint32_t idx);

  // timers
  void tick_legs(uint64_t now);
  void tick_rekeys(uint64_t now);
  void tick_retries(uint64_t now);
  void tick_peers(uint64_t now);
  // Link MMP on the reference's 1 s tick: due SenderReports, then due
  // ReceiverReports, and the periodic metrics log (debug level).
  void tick_mmp(uint64_t now);
  bool send_mmp_report(Peer& p, bool sender_report, uint64_t now);
  // A rekey over the peer's own path, or (probe) over `probe`; false if not started.
  bool start_rekey(Peer& p, uint64_t now, const DialTarget* probe = nullptr);
  DialResult refresh_path(Peer& p, const DialTarget& target, uint64_t now);
  void note_handshake_failed(const NodeAddr& a, uint64_t now);
  void note_link_dead(const NodeAddr& a, uint64_t now);
  uint64_t backoff_ms(uint32_t n);
  int64_t new_jitter();
  bool send_raw(TransportId tid, const TransportAddr& to, ByteSpan bytes);
  bool send_heartbeat(Peer& p, uint64_t now);
  // The peer ACL's verdict; a denial is counted as `drop` and logged (WARN).
  bool acl_admits(const PeerIdentity& id, AclContext ctx, TransportId tid,
                  const TransportAddr& addr, LinkDrop drop);

  const Identity& local_;
  Epoch epoch_;
  LinkConfig cfg_;
  LinkIo& io_;
  LinkUpper* upper_;
  const PeerAcl* acl_ = nullptr;
  Rng rng_;
  TokenBucket stranger_bucket_;
  TokenBucket established_bucket_;
  TokenBucket expected_bucket_;
  TokenBucket idle_evict_bucket_;
  LruTable<TransportAddr, TokenBucket, TransportAddrHash> source_buckets_;
  // msg1 admission before any DH: which bucket pays for this packet.
  bool admit_msg1(TransportId tid, const TransportAddr& from, bool known, uint64_t now);
  // At max_peers, a configured peer (one we keep connected) or one named in
  // peers.allow gets a slot: the unlisted peer with the oldest useful traffic
  // is disconnected. Any other newcomer gets the slot of an unproven or
  // long-idle stranger (see LinkConfig::unproven_grace_ms). True when there
  // is room (or none is needed).
  bool make_room(const NodeAddr& newcomer, uint64_t now);
  [[nodiscard]] bool full() const { return cfg_.max_peers && peers_.size() >= cfg_.max_peers; }
  [[nodiscard]] bool stranger_holds_slot() const;

  std::unordered_map<NodeAddr, std::unique_ptr<Peer>, NodeAddrHash> peers_;
  // How many live links run over each (transport, remote address): a msg1's
  // source is checked against it before any other work, in O(1) however many
  // peers a hub holds. Kept by set_path() and remove_peer().
  struct PathKey {
    TransportId tid;
    TransportAddr addr;
    bool operator==(const PathKey&) const = default;
  };
  struct PathKeyHash {
    size_t operator()(const PathKey& k) const noexcept {
      return k.addr.hash() ^ (static_cast<size_t>(k.tid) * 0x9e3779b97f4a7c15ULL);
    }
  };
  std::unordered_map<PathKey, uint32_t, PathKeyHash> path_refs_;
  void set_path(Peer& p, TransportId tid, const TransportAddr& addr);  // p's (tid, addr) moves
  void drop_path(const Peer& p);
  std::unordered_map<uint64_t, IndexEntry> by_index_;  // (tid, our_index) -> peer
  std::unordered_map<uint64_t, std::unique_ptr<HandshakeLeg>> legs_;  // (tid, our_index)
  std::unordered_map<uint64_t, Peer*> rekey_by_index_;  // (tid, rekey our_index) -> peer
  std::unordered_set<uint32_t> used_indices_;
  std::unordered_map<NodeAddr, RetryEntry, NodeAddrHash> wanted_;   // peers to keep connected
  std::unordered_map<NodeAddr, RetryEntry, NodeAddrHash> retries_;  // scheduled dials
  std::unordered_map<NodeAddr, std::string, NodeAddrHash> aliases_;
  Msg1Memory msg1_seen_;  // ephemerals of answered msg1s (replay check before DH)
  uint64_t next_link_id_ = 1;
  LinkCounters counters_;
  bool shutting_down_ = false;
  uint64_t next_mmp_ms_ = 0;
};

}  // namespace fips
