// Data the FMP link layer keeps: established peers with their Noise
// sessions (current / pending / draining), pending handshake legs, retry
// entries, the typed drop counters and each peer's link MMP state. Behaviour lives in link_layer*.cc.
// Not here: routing state (tree, bloom, sessions), sockets.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "identity/identity.h"
#include "noise/handshake.h"
#include "noise/transport.h"
#include "proto/fmp/wire.h"
#include "proto/mmp/link_mmp.h"
#include "transport/addr.h"

namespace fips {

// Why a packet or handshake was dropped. Each has a counter; names are stable
// (they appear in show output).
enum class LinkDrop : uint8_t {
  kTooShort,           // < 4 bytes
  kBadVersion,         // version nibble != 0
  kBadPhase,           // phase not 0/1/2
  kPayloadLenMismatch, // payload_len disagrees with the packet size
  kMalformedFrame,     // established header failed to decode (e.g. reserved flags)
  kUnknownIndex,       // (transport, receiver_idx) matches no session
  kReplay,             // counter replayed or below the window
  kDecryptFailed,      // AEAD tag did not verify
  kShortPlaintext,     // decrypted plaintext < inner header
  kUnknownMsgType,     // msg_type not in the link catalog
  kMalformedMessage,   // a link message failed to decode (Disconnect, ...)
  kUnhandledMessage,   // a valid link message with no consumer yet
  kMsg1RateLimited,    // handshake admission bucket empty
  kMsg1SourceRateLimited,  // ours: this source host's own bucket is empty
  kMsg1Malformed,      // msg1 frame failed to decode
  kMsg1NoiseFailed,    // msg1 failed Noise processing
  kMsg1Refused,        // inbound not accepted on this transport
  kMsg1AtMaxPeers,     // max_peers reached
  kMsg1PendingSession, // a completed rekey is awaiting cutover
  kMsg1DualRekeyWon,   // rekey race: we are the smaller node and keep initiating
  kMsg1Duplicate,      // same-epoch duplicate, stored msg2 resent (or none)
  kMsg1Replay,         // ephemeral already answered and not this peer's latest msg1
  kMsg2Malformed,      // msg2 frame failed to decode
  kMsg2UnknownIndex,   // msg2 receiver_idx matches no pending handshake
  kMsg2NoiseFailed,    // msg2 failed Noise processing
  kIndexExhausted,     // no free session index
  kNoBuffer,           // packet pool exhausted when building a frame
  kMtuExceeded,        // frame larger than the transport MTU
  kSendFailed,         // transport refused the send
  kAclDenied,          // msg1 / msg2 of a peer the peer ACL denies (no link made)
  kAclDialRefused,     // a dial not made: the peer ACL denies that peer
  kCount
};
const char* link_drop_name(LinkDrop d);

struct LinkCounters {
  std::array<uint64_t, static_cast<size_t>(LinkDrop::kCount)> drops{};
  uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
  uint64_t handshakes_completed = 0, rekeys_completed = 0, peers_removed_dead = 0,
           peers_removed_decrypt = 0, disconnects_received = 0, disconnects_sent = 0;
  // Keys from a msg1 we answered on a live link (rekey or restart) that the
  // peer never used before they expired: a replay, or a lost msg2.
  uint64_t unproven_handshakes_expired = 0;
  // Peers not in our configuration disconnected to give a configured peer
  // its slot at max_peers (ours, issue 15).
  uint64_t strangers_evicted = 0;
  // Ours (issue 15): at max_peers a stranger newcomer takes the slot of a
  // stranger that never sent a frame after our msg2 (unproven), or, rate
  // bounded (LinkConfig::idle_evict_burst/rate: 2, then 1/s), of one that
  // carried only link upkeep for stranger_idle_ms (idle).
  uint64_t unproven_strangers_evicted = 0, idle_strangers_evicted = 0;
  // Link MMP reports that decoded (malformed ones: kMalformedMessage).
  uint64_t mmp_sender_reports_received = 0, mmp_receiver_reports_received = 0;
  uint64_t mmp_reports_sent = 0;
  void drop(LinkDrop d) { ++drops[static_cast<size_t>(d)]; }
  uint64_t get(LinkDrop d) const { return drops[static_cast<size_t>(d)]; }
};

// One Noise transport session on a link with its index pair.
struct LinkSession {
  NoiseTransport keys;
  uint32_t our_index = 0;
  uint32_t their_index = 0;
  uint64_t start_ms = 0;  // inner-header timestamps are relative to this
  // We answered the msg1 that made these keys while a link was live: they
  // are used only after the peer's first frame under them authenticates
  // (a replayed msg1 must never move a live link to keys nobody else has).
  bool unproven = false;
  // Set when that msg1 carried a new epoch: the proof replaces the whole
  // link (the peer restarted), not only its keys.
  std::optional<Epoch> restart_epoch;
};

struct RekeyInFlight {
  HandshakeState hs;
  uint32_t our_index = 0;
  std::array<uint8_t, fmp::kMsg1WireSize> msg1{};
  uint64_t next_resend_ms = 0;
  uint32_t resend_count = 0;
  // Where msg1 goes (and its msg2 index is registered): the peer's path, or
  // for a path probe (connect to a connected peer) the address to try; a
  // probe's msg2 moves the link there.
  TransportId tid = 0;
  TransportAddr addr;
  bool path_probe = false;
};

struct PeerStats {
  uint64_t packets_sent = 0, bytes_sent = 0, packets_recv = 0, bytes_recv = 0;
};

struct Peer {
  explicit Peer(const PeerIdentity& i) : id(i) {}
  PeerIdentity id;
  uint64_t link_id = 0;
  bool outbound = false;
  TransportId tid = 0;
  TransportAddr addr;  // current address (roams)
  Epoch remote_epoch{};

  std::unique_ptr<LinkSession> current;
  std::unique_ptr<LinkSession> pending;   // completed rekey, not yet cut over
  std::unique_ptr<LinkSession> previous;  // draining after a cutover
  uint64_t drain_started_ms = 0;
  bool k_bit = false;

  std::unique_ptr<RekeyInFlight> rekey;  // we initiated a rekey
  uint64_t last_peer_rekey_ms = 0;       // we answered a peer's rekey (dampening)
  int64_t rekey_jitter_ms = 0;
  uint64_t session_established_ms = 0;   // rekey age reference (reset at cutover)

  uint64_t last_recv_ms = 0;  // 0 = nothing received on the current session
  // Last frame carrying more than link upkeep (not a heartbeat or an MMP
  // report); 0 = none yet. Decides which stranger gives way (make_room).
  uint64_t last_useful_ms = 0;
  uint64_t linked_ms = 0;  // when this link was made (never reset by rekeys)
  // An authenticated frame has arrived from the peer on this link. A stranger
  // that has sent none since our msg2 may be a flood of msg1s that never
  // follows up; at max_peers it gives way to a newcomer (make_room).
  bool proven = false;
  uint64_t last_heartbeat_ms = 0;
  bool heartbeat_sent = false;
  uint32_t consecutive_decrypt_failures = 0;
  uint32_t replay_suppressed = 0;

  // msg2 we sent when this peer dialled us: resent for a same-epoch msg1 on a
  // young session, as the reference does.
  std::optional<std::array<uint8_t, fmp::kMsg2WireSize>> stored_msg2;
  // The last msg1 we answered from this peer (initial or rekey) and our msg2:
  // a byte-identical retransmission (its msg2 was lost) gets the same msg2
  // again without any DH.
  std::optional<std::array<uint8_t, fmp::kMsg1WireSize>> answered_msg1;
  std::array<uint8_t, fmp::kMsg2WireSize> answered_msg2{};
  uint64_t answered_ms = 0;

  uint64_t authenticated_wall_ms = 0;
  uint64_t last_seen_wall_ms = 0;
  PeerStats stats;
  // Link MMP (proto/mmp/link_mmp.h): made with the link, new for a restarted
  // peer, its counter baselines reset at each rekey cutover.
  std::optional<mmp::LinkMmp> mmp;
};

enum class LegState : uint8_t { kSentMsg1, kFailed };

// An outbound handshake in progress (inbound IK legs complete immediately).
struct HandshakeLeg {
  HandshakeLeg(HandshakeState&& h, const PeerIdentity& e) : hs(std::move(h)), expected(e) {}
  HandshakeState hs;
  PeerIdentity expected;
  uint64_t link_id = 0;
  TransportId tid = 0;
  TransportAddr addr;
  uint32_t our_index = 0;
  std::array<uint8_t, fmp::kMsg1WireSize> msg1{};
  LegState state = LegState::kSentMsg1;
  uint64_t started_ms = 0, started_wall_ms = 0;
  uint64_t last_activity_ms = 0;
  uint64_t next_resend_ms = 0;
  uint32_t resend_count = 0;
};

// A configured or API-requested peer address list with its retry schedule.
struct DialTarget {
  TransportId tid = 0;
  TransportAddr addr;
};

struct RetryEntry {
  PeerIdentity id;
  std::vector<DialTarget> targets;
  bool auto_reconnect = true;
  bool reconnect = false;
  uint32_t retry_count = 0;
  uint64_t retry_after_ms = 0;
};

}  // namespace fips
