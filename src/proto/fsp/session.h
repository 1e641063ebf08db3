// FSP session layer, sans-I/O: the end-to-end Noise XK session table and
// its state machines (docs/spec/fsp-ipv6.md §2-§10): establishment
// with resends and timeouts, simultaneous initiation, the inbound dispatch
// and drop table, the zero-copy data path (seal_data / receive), coordinate
// warmup, K-bit rekey with cutover and drain, idle timeout, path MTU
// (PathMtuNotification, MtuExceeded) and the reactive routing signals.
// Time is passed in (`now_ms`, any monotonic millisecond clock); control
// messages come out as bytes in SessionActions; data is sealed and opened
// in place in the caller's PacketBuf.
// Not here: SessionDatagram wrapping and routing (node/), the pending packet
// queues (ipv6/pending_queue.h, owned by the node), IPv6 compression, TUN, DNS,
// JSON (control/queries_sessions.h). Deliberate differences from the
// reference are listed in docs/fsp-sessions.md.
//
// How the node drives it (every call appends to the SessionActions it is
// given; the node executes `sends` in order, then `events`, then clears):
//   initiate(dest identity)              first packet to a destination
//   receive(src, link_peer, path_mtu, buf)  every SessionDatagram for us,
//                                        buf = the FSP message (datagram
//                                        header already pulled); Data comes
//                                        back as kDelivered with buf = payload
//   seal_data(dest, ports, buf, hop_mtu) application payload -> FSP message
//                                        in the same buffer (send acts.sends
//                                        first: they may hold a CoordsWarmup)
//   tick()                               once per node tick (1 s)
//   on_peer_removed(addr)                a direct peer's link went away
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "dataplane/buffer_pool.h"
#include "identity/identity.h"
#include "noise/handshake.h"
#include "proto/coords.h"
#include "proto/fsp/setup_limiter.h"
#include "proto/interval_limiter.h"
#include "proto/mmp/link_mmp.h"
#include "util/bytes.h"
#include "util/function_ref.h"
#include "util/rng.h"

namespace fips::fsp {

// Spec constants (src/proto/fsp/limits.rs).
inline constexpr uint64_t kCutoverDelayMs = 2'000;
inline constexpr uint64_t kDrainWindowMs = 10'000;
inline constexpr uint64_t kRekeyDampeningMs = 30'000;
inline constexpr int64_t kRekeyJitterSecs = 15;
inline constexpr uint64_t kCoordsResponseMaxAgeMs = 10'000;
// Bytes in front of an FSP message that the node needs for the
// SessionDatagram header (36) and the FMP established header + timestamp (20).
inline constexpr size_t kDefaultOuterHeadroom = 36 + 16 + 4;

struct SessionParams {
  uint64_t idle_timeout_ms = 90'000;  // 0 = never
  uint8_t coords_warmup_packets = 5;
  uint64_t coords_response_interval_ms = 2'000;
  uint64_t handshake_timeout_ms = 30'000;
  uint64_t resend_interval_ms = 1'000;
  double resend_backoff = 2.0;
  uint32_t max_resends = 5;
  double setup_burst = 64, setup_rate = 16;
  double established_setup_burst = 128, established_setup_rate = 6.4;
  bool rekey_enabled = true;
  uint64_t rekey_after_secs = 120;
  uint64_t rekey_after_messages = 65'536;
  // node.session_mmp.*: which reports go out (full: both, lightweight:
  // ReceiverReports, minimal: none), the OWD ring, the operator log interval.
  MmpMode mmp_mode = MmpMode::kFull;
  size_t mmp_owd_window = 32;
  uint64_t mmp_log_interval_ms = 30'000;
  // Ours (the reference is unbounded).
  size_t max_sessions = 4'096;
  size_t max_setup_links = 1'024;
  size_t max_coords_response_entries = 4'096;
  size_t outer_headroom = kDefaultOuterHeadroom;

  // node.session.*, node.rate_limit.*, node.rekey.*, node.session_mmp.mode,
  // and the established setup bucket derived from node.limits.max_peers as
  // the reference does (rate_limit.rs derive_established_bucket).
  static SessionParams from_config(const NodeConfig& n);
};

// What the session layer needs to know about the rest of the node.
class SessionEnv {
 public:
  virtual ~SessionEnv() = default;
  // Our tree coordinates (self .. root, at least one entry).
  virtual CoordsView my_coords() = 0;
  // dest's coordinates from the coord cache, WITHOUT touching it.
  virtual std::optional<CoordsView> cached_coords(const NodeAddr& dest, uint64_t now_ms) = 0;
  // Route check done right before a control message is emitted: the first
  // hop's link MTU if a datagram to dest can be routed now, 0 if not (the
  // reference's "send failed", e.g. "no route"). May touch the coord cache.
  virtual uint16_t route_mtu(const NodeAddr& dest, uint64_t now_ms) = 0;
  // Minimum MTU over the operational transports (warmup piggyback test).
  virtual uint16_t transport_mtu() = 0;
  // A fresh buffer (seal_data falls back to a copy when headroom is short).
  virtual PacketBuf alloc() = 0;
  // Identity cache registration (our initiations, inbound msg3).
  virtual void register_identity(const PeerIdentity& id, uint64_t now_ms) = 0;
};

enum class SessionState : uint8_t { kInitiating, kAwaitingMsg3, kEstablished };
const char* session_state_name(SessionState s);  // initiating | awaiting_msg3 | established

struct SessionEvent {
  enum class Kind : uint8_t {
    kEstablished,      // flush the pending queues for peer now (FIFO)
    kClosed,           // entry removed; see `reason` for what to do with queues
    kStartLookup,      // CoordsRequired/PathBroken: start discovery if peer's identity is cached
    kInvalidateCoords, // PathBroken: remove peer from the coord cache (before the lookup)
    kPathMtuChanged,   // mirror `mtu` into path_mtu_lookup[peer], keep-tighter
    kPathMtuReleased,  // path_mtu_lookup_release(peer)
  };
  enum class Reason : uint8_t {
    kNone,
    kHandshakeTimeout,  // discard pending queues, release path MTU (no ICMP)
    kIdle,              // discard pending queues, release path MTU
    kPeerRemoved,       // direct peer gone: discard pending TUN queue
    kHandshakeFailed,   // msg3 could not be sent / bad identity: keep queues (next packet re-initiates)
    kTornDown,          // tear_down() by the node (probe cleanup)
  };
  Kind kind = Kind::kEstablished;
  NodeAddr peer;
  Reason reason = Reason::kNone;
  uint16_t mtu = 0;
};

struct SendItem {
  NodeAddr dest;
  uint32_t offset = 0;
  uint32_t len = 0;
};

// Reused across calls: clear() keeps the capacity, so the steady state does
// not allocate.
struct SessionActions {
  std::vector<uint8_t> arena;
  std::vector<SendItem> sends;  // FSP messages to wrap in SessionDatagrams to `dest`
  std::vector<SessionEvent> events;
  void clear() {
    arena.clear();
    sends.clear();
    events.clear();
  }
  [[nodiscard]] ByteSpan bytes(const SendItem& s) const { return ByteSpan(arena.data() + s.offset, s.len); }
  [[nodiscard]] bool empty() const { return sends.empty() && events.empty(); }
};

struct SessionCounters {
  // The reference's SessionStats (not exported by it).
  uint64_t unknown_session = 0, bad_state = 0, addr_mismatch = 0, rekey_key_mismatch = 0,
           rekey_armed = 0, rekey_tiebreak = 0, rekey_yielded = 0, rekey_pending = 0,
           rekey_expired = 0, pending_replaced = 0, ack_handshake_failed = 0,
           setup_rate_limited = 0;
  // The reference's exported error-signal metrics (show_routing.error_signals).
  uint64_t coords_required = 0, path_broken = 0, mtu_exceeded = 0, unbound_coords = 0,
           unbound_broken = 0, unbound_mtu = 0, unbound_forged = 0, mtu_exceeded_below_floor = 0,
           path_mtu_notif_below_floor = 0;
  // Ours: every other drop and event.
  uint64_t too_short = 0, bad_phase = 0, malformed = 0, unknown_signal = 0, decrypt_failed = 0,
           replay = 0, unknown_msg_type = 0, setup_handshake_failed = 0,
           msg3_handshake_failed = 0, setup_no_route = 0, table_full = 0,
           simultaneous_won = 0, simultaneous_yielded = 0, ack_resent = 0, msg3_resent = 0,
           handshake_resends = 0, handshake_timeouts = 0, idle_timeouts = 0,
           sessions_established = 0, rekey_initiated = 0, rekey_setup_resent = 0,
           rekey_ack_resent = 0, rekey_setup_duplicate = 0, rekey_msg3_duplicate = 0, rekey_initiator_expired = 0, rekey_msg3_resent = 0,
           rekey_abandoned = 0, rekey_cutovers = 0, coords_warmups_sent = 0,
           path_mtu_notifications_sent = 0, seal_copied = 0, seal_failed = 0;
  // Session MMP: reports sent, received (by kind), and sends that found no route.
  uint64_t mmp_reports_sent = 0, mmp_sender_reports_received = 0,
           mmp_receiver_reports_received = 0, mmp_report_send_failed = 0;
};

// One show_sessions row (docs/spec/control.md §3.10) before display names/JSON.
struct SessionSnapshot {
  NodeAddr remote;
  XOnlyKey remote_key{};  // our own key for awaiting_msg3 entries (reference placeholder)
  SessionState state = SessionState::kInitiating;
  bool is_initiator = false;
  uint64_t last_activity_ms = 0;  // Unix ms
  uint64_t packets_sent = 0, bytes_sent = 0, packets_recv = 0, bytes_recv = 0;
  uint32_t resend_count = 0;      // not established
  uint64_t session_start_ms = 0;  // established, Unix ms (reset at every cutover)
  bool current_k_bit = false;
  uint8_t coords_warmup_remaining = 0;
  bool is_draining = false;
  uint16_t path_mtu = 0xFFFF;  // source-side current_mtu
  // Session MMP (established entries): metrics, mode, spin-bit role.
  std::optional<mmp::Metrics> mmp;
  mmp::Mode mmp_mode = mmp::Mode::kFull;
  bool mmp_spin_initiator = false;
  uint64_t mmp_packets_sent = 0, mmp_packets_recv = 0;  // every session message
  uint32_t mmp_jitter_us = 0;
};

enum class InitiateResult : uint8_t {
  kStarted,   // SessionSetup emitted, entry Initiating
  kExists,    // Established or Initiating entry already there (queue the packet)
  kNoRoute,   // nothing stored (start a lookup, queue the packet)
  kTableFull, // ours: max_sessions reached
  kSelf,
  kFailed,    // handshake could not be built
};

enum class SealStatus : uint8_t {
  kOk,
  kNoSession,
  kNotEstablished,
  kTooLarge,   // plaintext > 65535
  kNoBuffer,   // headroom short and no buffer for the copy
  kFailed,     // nonce exhausted / AEAD failure
};

enum class RxOutcome : uint8_t {
  kDelivered,  // Data: buf now holds exactly the service payload
  kConsumed,   // handled here (handshake, report, signal, warmup, ...)
  kDropped,    // counted in SessionCounters
};
struct RxResult {
  RxOutcome outcome = RxOutcome::kDropped;
  uint16_t src_port = 0, dst_port = 0;
  // An encrypted message from src authenticated: flush src's pending queues.
  bool flush_pending = false;
};

struct SessionEntry;     // session_entry.h
struct SessionTestPeek;  // defined only in tests

class SessionManager {
 public:
  SessionManager(const Identity& local, const Epoch& epoch, const SessionParams& params,
                 SessionEnv& env, Rng& rng);
  ~SessionManager();
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  // ---- inputs ----
  InitiateResult initiate(const PeerIdentity& dest, uint64_t now_ms, SessionActions& out);
  // buf: the FSP message (starts at the FSP prefix). src: the datagram's
  // claimed source; link_peer: the FMP neighbour it arrived from; path_mtu:
  // the datagram's path_mtu as received.
  // ce: the carrying FMP frame had CE set (counted by session MMP).
  RxResult receive(const NodeAddr& src, const NodeAddr& link_peer, uint16_t path_mtu, PacketBuf& buf,
                   uint64_t now_ms, SessionActions& out, bool ce = false);
  // buf holds the service payload; on kOk it holds the FSP message (possibly
  // in a fresh buffer when headroom was short) with outer_headroom free in
  // front. first_hop_mtu: link MTU of the hop the node routes this over (the
  // caller routed it first; a packet without route is simply not sealed).
  SealStatus seal_data(const NodeAddr& dest, uint16_t src_port, uint16_t dst_port, PacketBuf& buf,
                       uint16_t first_hop_mtu, uint64_t now_ms, SessionActions& out);
  void tick(uint64_t now_ms, SessionActions& out);
  // A direct peer's link was removed: its session goes too (spec §8.2).
  void on_peer_removed(const NodeAddr& peer, uint64_t now_ms, SessionActions& out);
  // LookupResponse for dest while Established: re-warm (spec §6.1).
  void reset_warmup_if_established(const NodeAddr& dest);
  // Silent local teardown (probe cleanup, shutdown).
  bool tear_down(const NodeAddr& dest, SessionActions& out);
  // A standalone CoordsWarmup on an Established session (probes: the remote's
  // session MMP then has data to report). False when no route / not established.
  bool send_warmup(const NodeAddr& dest, uint64_t now_ms, SessionActions& out);
  void clear();  // forget every session silently (shutdown)

  // ---- queries ----
  [[nodiscard]] std::optional<SessionState> state_of(const NodeAddr& dest) const;
  [[nodiscard]] bool is_established(const NodeAddr& dest) const {
    return state_of(dest) == SessionState::kEstablished;
  }
  // Source-side path MTU of an Established session (0xFFFF = not yet
  // measured); nullopt when not Established. For the IPv6 PTB gate.
  [[nodiscard]] std::optional<uint16_t> path_mtu(const NodeAddr& dest) const;
  // The authenticated remote key of an Established session (native API).
  [[nodiscard]] std::optional<PeerIdentity> remote_identity(const NodeAddr& dest) const;
  // What a probe needs to know whether an entry is still the one it opened
  // (created_ms, initiator) and untouched by traffic (activity, counters).
  struct Brief {
    SessionState state = SessionState::kInitiating;
    bool is_initiator = false;
    uint64_t created_ms = 0, last_activity_ms = 0;
    uint64_t packets_sent = 0, packets_recv = 0, bytes_sent = 0, bytes_recv = 0;
    uint16_t last_observed_mtu = 0xFFFF;  // the path_mtu of the last datagram received
  };
  [[nodiscard]] std::optional<Brief> brief(const NodeAddr& dest) const;
  // Session MMP state of an Established session (probes, tests); nullptr otherwise.
  [[nodiscard]] const mmp::SessionMmp* mmp_of(const NodeAddr& dest) const;
  // Calls f(remote, mmp) for every session whose operator log is due and
  // marks it logged (node.session_mmp.log_interval_secs).
  void for_each_mmp_log_due(uint64_t now_ms,
                            FunctionRef<void(const NodeAddr&, const mmp::SessionMmp&)> f);
  // Bytes seal_data needs in front of the payload (without coords).
  [[nodiscard]] size_t data_headroom() const;
  [[nodiscard]] size_t size() const { return sessions_.size(); }
  [[nodiscard]] const SessionCounters& counters() const { return counters_; }
  [[nodiscard]] const SessionParams& params() const { return params_; }
  // Rows sorted by remote address; times converted to Unix ms.
  [[nodiscard]] std::vector<SessionSnapshot> snapshot(uint64_t now_ms, uint64_t unix_now_ms) const;

 private:
  friend struct SessionTestPeek;
  struct AddrHash {
    uint64_t seed;
    size_t operator()(const NodeAddr& a) const noexcept;
  };
  using Table = std::unordered_map<NodeAddr, std::unique_ptr<SessionEntry>, AddrHash>;

  SessionEntry* find(const NodeAddr& a);
  const SessionEntry* find(const NodeAddr& a) const;
  void remove(const NodeAddr& a, SessionEvent::Reason why, SessionActions& out);
  int64_t draw_jitter();
  CoordsView dest_coords_or_mine(const NodeAddr& dest, uint64_t now_ms);
  // Appends a send of `bytes` (already in the arena at offset) to dest.
  void push_send(const NodeAddr& dest, size_t offset, SessionActions& out);
  // Copies bytes into the arena and queues them if a route exists (seeding
  // the entry's source MTU); false = no route (nothing queued).
  bool send_copy(const NodeAddr& dest, ByteSpan bytes, SessionEntry* e, uint64_t now_ms, SessionActions& out);

  // session_handshake.cc
  void on_setup(const NodeAddr& src, const NodeAddr& link_peer, ByteSpan msg, uint64_t now_ms, SessionActions& out);
  // XK responder: reads msg1, sends the SessionAck with msg2 to `to` (e, if
  // given, gets the route's MTU). nullopt when msg1 fails or there is no
  // route (counted setup_handshake_failed / setup_no_route).
  struct SetupAnswer {
    HandshakeState hs;
    std::vector<uint8_t> ack;  // the SessionAck as sent (kept for resends)
  };
  std::optional<SetupAnswer> answer_setup(const NodeAddr& to, ByteSpan msg1, CoordsView setup_src_coords,
                                             SessionEntry* e, uint64_t now_ms, SessionActions& out);
  void respond_fresh(const NodeAddr& src, ByteSpan setup_msg1, CoordsView setup_src_coords, uint64_t now_ms, SessionActions& out);
  void on_rekey_setup(SessionEntry& e, ByteSpan msg1, CoordsView setup_src_coords, uint64_t now_ms, SessionActions& out);
  void on_ack(const NodeAddr& src, ByteSpan msg, uint64_t now_ms, SessionActions& out);
  void on_rekey_ack(SessionEntry& e, ByteSpan msg2, uint64_t now_ms, SessionActions& out);
  void on_msg3(const NodeAddr& src, ByteSpan msg, uint64_t now_ms, SessionActions& out);
  void on_rekey_msg3(SessionEntry& e, ByteSpan msg3, uint64_t now_ms);
  bool start_rekey(SessionEntry& e, uint64_t now_ms, SessionActions& out);
  bool encode_setup(const NodeAddr& dest, ByteSpan msg1, uint64_t now_ms, std::vector<uint8_t>& out_bytes);
  void establish(SessionEntry& e, uint64_t now_ms);

  // session_data.cc
  RxResult on_encrypted(const NodeAddr& src, uint16_t path_mtu, PacketBuf& buf, uint64_t now_ms, SessionActions& out, bool ce);
  void promote_pending(SessionEntry& e, uint64_t now_ms);
  // Seals a session control message (0x13 / 0x14) into the arena and queues it.
  bool send_control(SessionEntry& e, uint8_t msg_type, ByteSpan body, bool with_coords, uint64_t now_ms, SessionActions& out);

  // session_signals.cc
  void on_signal(const NodeAddr& src, ByteSpan msg, uint64_t now_ms, SessionActions& out);
  bool admit_signal(const NodeAddr& src, const NodeAddr& dest, uint64_t& unbound_counter);

  // session_timers.cc, session_mmp.cc
  void tick_handshakes(uint64_t now_ms, SessionActions& out);
  void tick_rekey_msg3(uint64_t now_ms, SessionActions& out);
  void tick_idle(uint64_t now_ms, SessionActions& out);
  void tick_mmp(uint64_t now_ms, SessionActions& out);
  void on_report(SessionEntry& e, uint8_t msg_type, ByteSpan body, uint64_t now_ms);
  void tick_rekey(uint64_t now_ms, SessionActions& out);

  const Identity& local_;
  Epoch epoch_;
  SessionParams params_;
  SessionEnv& env_;
  Rng& rng_;
  Table sessions_;
  SetupLimiter setup_limiter_;
  IntervalLimiter<NodeAddr, NodeAddrHash> coords_response_;
  SessionCounters counters_;
  std::vector<NodeAddr> scratch_addrs_;  // tick work lists (capacity reused)
};

}  // namespace fips::fsp
