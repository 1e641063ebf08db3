// The data one FSP session keeps (the reference's SessionEntry,
// src/node/session/mod.rs): handshake progress and resend schedule, the three
// key slots (current / pending / previous) with the K bit, the rekey
// sub-state, warmup counter, path MTU state and traffic counters.
// Internal to src/proto/fsp/session*.cc. Behaviour lives there.
// Times are the caller's monotonic ms; "unset" is an empty optional (the
// reference uses 0 on a wall clock, which a monotonic clock may legitimately
// read).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "noise/handshake.h"
#include "noise/transport.h"
#include "proto/fsp/path_mtu.h"
#include "proto/fsp/session.h"
#include "proto/fsp/wire.h"
#include "proto/mmp/link_mmp.h"

namespace fips::fsp {

struct TrafficStats {
  uint64_t packets_sent = 0, bytes_sent = 0;  // DataPackets; service payload only
  uint64_t packets_recv = 0, bytes_recv = 0;  // DataPackets; port header included (reference)
};

struct SessionEntry {
  NodeAddr remote;
  // Initiator: the destination key we were given. Responder: the
  // initiator's static key from msg3. AwaitingMsg3: OUR key (the reference's
  // placeholder, visible in show_sessions).
  CompressedKey remote_key{};
  SessionState state = SessionState::kInitiating;
  bool is_initiator = false;
  uint64_t created_ms = 0;
  uint64_t last_activity_ms = 0;
  TrafficStats stats;

  // ---- initial handshake (Initiating / AwaitingMsg3) ----
  std::optional<HandshakeState> hs;
  std::vector<uint8_t> hs_payload;  // our SessionSetup (initiator) / SessionAck (responder)
  uint32_t resend_count = 0;
  std::optional<uint64_t> next_resend_ms;

  // ---- established ----
  uint64_t session_start_ms = 0;  // inner-header timestamps and rekey age; reset at cutover
  uint8_t warmup_remaining = 0;
  std::unique_ptr<NoiseTransport> current;
  std::unique_ptr<NoiseTransport> pending;   // completed rekey awaiting cutover
  std::unique_ptr<NoiseTransport> previous;  // draining after a cutover
  bool k_bit = false;
  std::optional<uint64_t> drain_started_ms;
  std::optional<uint64_t> previous_last_used_ms;
  int64_t rekey_jitter_s = 0;
  PathMtuState mtu;
  // Session MMP (proto/mmp/link_mmp.h): made at establishment; its counters
  // restart at every cutover (the new keys count from 0).
  std::optional<mmp::SessionMmp> mmp;

  // Ours: the initiator keeps its msg3 (and the msg2 it answered) until the
  // responder proves it has the keys (its first authenticated frame). A
  // responder whose copy of msg3 was lost resends its SessionAck; a
  // byte-identical ack is answered with the same msg3 instead of bad_state.
  bool msg3_retained = false;
  std::array<uint8_t, kXkMsg2Size> acked_msg2{};
  std::array<uint8_t, kSessionMsg3WireSize> msg3{};

  // ---- rekey ----
  std::optional<HandshakeState> rekey_hs;  // in flight: ours (initiator) or armed by the peer
  bool rekey_initiator = false;
  // Initiator (ours): SessionSetup resends and expiry of the in-flight rekey.
  std::vector<uint8_t> rekey_setup;
  uint64_t rekey_started_ms = 0;
  uint32_t rekey_setup_resends = 0;
  uint64_t rekey_setup_next_ms = 0;
  // Responder (ours): the msg1 we armed on and our ack, for duplicates.
  bool has_answered_msg1 = false;
  std::array<uint8_t, kXkMsg1Size> answered_msg1{};
  std::vector<uint8_t> answered_ack;
  bool has_answered_msg3 = false;  // the last rekey msg3 we completed
  std::array<uint8_t, kXkMsg3Size> answered_msg3{};
  std::optional<uint64_t> last_peer_rekey_ms;
  std::optional<uint64_t> rekey_completed_ms;
  // Initiator: msg3 retained until the peer shows up on the new keys.
  bool rekey_msg3_retained = false;
  std::array<uint8_t, kSessionMsg3WireSize> rekey_msg3{};
  uint32_t rekey_msg3_resends = 0;
  std::optional<uint64_t> rekey_msg3_next_ms;

  [[nodiscard]] bool established() const { return state == SessionState::kEstablished; }
  [[nodiscard]] bool draining() const { return drain_started_ms.has_value(); }
  void abandon_handshake() {
    rekey_hs.reset();
    rekey_setup.clear();
    answered_ack.clear();
  }
  // Drops the in-flight handshake, the pending session and the msg3 payload.
  void abandon_rekey() {
    abandon_handshake();
    pending.reset();
    rekey_completed_ms.reset();
    rekey_msg3_retained = false;
    rekey_msg3_next_ms.reset();
    rekey_msg3_resends = 0;
  }
};

}  // namespace fips::fsp
