// FMP link layer: construction, receive dispatch, established frames, sending.
#include "node/link_layer.h"

#include <cstring>

#include "crypto/random.h"
#include "util/log.h"

namespace fips {

const char* link_drop_name(LinkDrop d) {
  switch (d) {
    case LinkDrop::kTooShort: return "too_short";
    case LinkDrop::kBadVersion: return "bad_version";
    case LinkDrop::kBadPhase: return "bad_phase";
    case LinkDrop::kPayloadLenMismatch: return "payload_len_mismatch";
    case LinkDrop::kMalformedFrame: return "malformed_frame";
    case LinkDrop::kUnknownIndex: return "unknown_index";
    case LinkDrop::kReplay: return "replay";
    case LinkDrop::kDecryptFailed: return "decrypt_failed";
    case LinkDrop::kShortPlaintext: return "short_plaintext";
    case LinkDrop::kUnknownMsgType: return "unknown_msg_type";
    case LinkDrop::kMalformedMessage: return "malformed_message";
    case LinkDrop::kUnhandledMessage: return "unhandled_message";
    case LinkDrop::kMsg1RateLimited: return "msg1_rate_limited";
    case LinkDrop::kMsg1SourceRateLimited: return "msg1_source_rate_limited";
    case LinkDrop::kMsg1Malformed: return "msg1_malformed";
    case LinkDrop::kMsg1NoiseFailed: return "msg1_noise_failed";
    case LinkDrop::kMsg1Refused: return "msg1_refused";
    case LinkDrop::kMsg1AtMaxPeers: return "msg1_at_max_peers";
    case LinkDrop::kMsg1PendingSession: return "msg1_pending_session";
    case LinkDrop::kMsg1DualRekeyWon: return "msg1_dual_rekey_won";
    case LinkDrop::kMsg1Duplicate: return "msg1_duplicate";
    case LinkDrop::kMsg1Replay: return "msg1_replay";
    case LinkDrop::kMsg2Malformed: return "msg2_malformed";
    case LinkDrop::kMsg2UnknownIndex: return "msg2_unknown_index";
    case LinkDrop::kMsg2NoiseFailed: return "msg2_noise_failed";
    case LinkDrop::kIndexExhausted: return "index_exhausted";
    case LinkDrop::kNoBuffer: return "no_buffer";
    case LinkDrop::kMtuExceeded: return "mtu_exceeded";
    case LinkDrop::kSendFailed: return "send_failed";
    case LinkDrop::kAclDenied: return "acl_denied";
    case LinkDrop::kAclDialRefused: return "acl_dial_refused";
    case LinkDrop::kCount: break;
  }
  return "unknown";
}

LinkLayer::LinkLayer(const Identity& local, const Epoch& epoch, LinkConfig cfg, LinkIo& io,
                     LinkUpper* upper, uint64_t rng_seed)
    : local_(local),
      epoch_(epoch),
      cfg_(cfg),
      io_(io),
      upper_(upper),
      rng_(rng_seed),
      stranger_bucket_(cfg.handshake_burst, cfg.handshake_rate),
      established_bucket_(cfg.established_burst, cfg.established_rate),
      expected_bucket_(cfg.expected_burst, cfg.expected_rate),
      idle_evict_bucket_(cfg.idle_evict_burst, cfg.idle_evict_rate),
      source_buckets_(rng_seed ^ 0x5eed5eed5eed5eedULL) {}

LinkLayer::~LinkLayer() = default;

Peer* LinkLayer::find_peer(const NodeAddr& a) {
  auto it = peers_.find(a);
  return it == peers_.end() ? nullptr : it->second.get();
}

std::string LinkLayer::display_name(const NodeAddr& a) const {
  if (auto it = aliases_.find(a); it != aliases_.end()) return it->second;
  if (auto it = peers_.find(a); it != peers_.end()) return it->second->id.short_npub();
  return a.hex().substr(0, 8) + "...";
}

// ---- receive dispatch ----

void LinkLayer::on_packet(TransportId tid, const TransportAddr& from, PacketBuf&& pkt,
                          uint64_t now) {
  const ByteSpan b = pkt.span();
  if (b.size() < fmp::kCommonPrefixSize) return counters_.drop(LinkDrop::kTooShort);
  if ((b[0] >> 4) != fmp::kVersion) return counters_.drop(LinkDrop::kBadVersion);
  const uint8_t phase = b[0] & 0x0F;
  const uint16_t payload_len = load_u16le(b.data() + 2);
  switch (phase) {
    case fmp::kPhaseEstablished:
      if (b.size() >= fmp::kEncryptedMinSize && payload_len != b.size() - fmp::kEncryptedMinSize)
        return counters_.drop(LinkDrop::kPayloadLenMismatch);
      return on_established(tid, from, std::move(pkt), now);
    case fmp::kPhaseMsg1:
      if (payload_len != fmp::kMsg1WireSize - fmp::kCommonPrefixSize)
        return counters_.drop(LinkDrop::kPayloadLenMismatch);
      return on_msg1(tid, from, b, now);
    case fmp::kPhaseMsg2:
      if (payload_len != fmp::kMsg2WireSize - fmp::kCommonPrefixSize)
        return counters_.drop(LinkDrop::kPayloadLenMismatch);
      return on_msg2(tid, from, b, now);
    default:
      return counters_.drop(LinkDrop::kBadPhase);
  }
}

void LinkLayer::on_established(TransportId tid, const TransportAddr& from, PacketBuf&& pkt,
                               uint64_t now) {
  auto h = fmp::decode_established_header(pkt.span());
  if (!h) return counters_.drop(LinkDrop::kMalformedFrame);
  auto it = by_index_.find(index_key(tid, h->receiver_idx));
  if (it == by_index_.end()) return counters_.drop(LinkDrop::kUnknownIndex);
  Peer& p = *it->second.peer;

  // The receiver index names the session exactly (each has its own index).
  LinkSession* s = nullptr;
  bool is_pending = false;
  if (p.current && p.current->our_index == h->receiver_idx) {
    s = p.current.get();
  } else if (p.pending && p.pending->our_index == h->receiver_idx) {
    s = p.pending.get();
    is_pending = true;
  } else if (p.previous && p.previous->our_index == h->receiver_idx) {
    s = p.previous.get();
  } else {
    return counters_.drop(LinkDrop::kUnknownIndex);
  }

  uint8_t* data = pkt.data();
  const size_t ct_len = pkt.size() - fmp::kEstablishedHeaderSize;
  auto r = s->keys.open(h->counter, ByteSpan(data, fmp::kEstablishedHeaderSize),
                        ByteSpan(data + fmp::kEstablishedHeaderSize, ct_len),
                        data + fmp::kEstablishedHeaderSize);
  if (!r) {
    if (r.error() == NoiseErr::kReplay) {
      ++p.replay_suppressed;
      return counters_.drop(LinkDrop::kReplay);
    }
    counters_.drop(LinkDrop::kDecryptFailed);
    if (++p.consecutive_decrypt_failures >= cfg_.decrypt_failure_threshold) {
      LOG_WARN("peer %s: %u consecutive decrypt failures, removing link",
               display_name(p.id.node_addr()).c_str(), p.consecutive_decrypt_failures);
      ++counters_.peers_removed_decrypt;
      remove_peer(p.id.node_addr(), now, true);
    }
    return;
  }
  // Authenticated from here on: the peer holds the pending keys, which
  // proves the handshake that made them was its own.
  if (is_pending && p.pending->restart_epoch) {
    Peer& np = replace_restarted(p, tid, from, now);
    return deliver(np, tid, from, std::move(pkt), ct_len - kAeadTagSize, h->counter, now);
  }
  if (is_pending) cutover(p, now);  // the peer switched keys first
  deliver(p, tid, from, std::move(pkt), ct_len - kAeadTagSize, h->counter, now);
}

void LinkLayer::deliver(Peer& p, TransportId tid, const TransportAddr& from, PacketBuf&& pkt,
                        size_t plain_len, uint64_t counter, uint64_t now) {
  p.consecutive_decrypt_failures = 0;
  if (plain_len < fmp::kInnerHeaderSize) return counters_.drop(LinkDrop::kShortPlaintext);
  if (p.tid != tid || !(p.addr == from)) {  // roaming: the address follows the crypto
    LOG_INFO("peer %s moved from %s to %s", display_name(p.id.node_addr()).c_str(),
             p.addr.str().c_str(), from.str().c_str());
    set_path(p, tid, from);
    io_.link_authenticated(tid, from);
  }
  p.last_recv_ms = now;
  p.proven = true;
  p.last_seen_wall_ms = io_.wall_ms();
  ++p.stats.packets_recv;
  p.stats.bytes_recv += pkt.size();
  ++counters_.frames_in;
  counters_.bytes_in += pkt.size();

  const uint8_t flags = pkt.data()[1];  // outer header byte 1
  const bool ce = (flags & fmp::kFlagCE) != 0;
  if (p.mmp)  // every authenticated frame, whatever it carries (reference encrypted.rs)
    p.mmp->on_recv(counter, load_u32le(pkt.data() + fmp::kEstablishedHeaderSize), pkt.size(), ce,
                   (flags & fmp::kFlagSP) != 0, now);
  // Strip outer header + inner timestamp; trim the tag: the message starts at msg_type.
  pkt.pull_front(fmp::kEstablishedHeaderSize + 4);
  pkt.trim_back(kAeadTagSize);
  const uint8_t type = pkt.data()[0];
  switch (static_cast<fmp::LinkMsgType>(type)) {
    case fmp::LinkMsgType::kHeartbeat:
      return;  // liveness bookkeeping above is all it does
    case fmp::LinkMsgType::kDisconnect: {
      auto d = fmp::decode_disconnect(pkt.span());
      if (!d) return counters_.drop(LinkDrop::kMalformedMessage);  // peer kept, as the reference
      ++counters_.disconnects_received;
      LOG_INFO("peer %s disconnected (%s)", display_name(p.id.node_addr()).c_str(),
               fmp::disconnect_reason_name(d->reason));
      remove_peer(p.id.node_addr(), now, true);
      return;
    }
    case fmp::LinkMsgType::kSenderReport: {  // informational, as in the reference
      auto r = mmp::decode_link_sender_report(pkt.span());
      if (!r) return counters_.drop(LinkDrop::kMalformedMessage);
      ++counters_.mmp_sender_reports_received;
      if (p.mmp) p.mmp->on_sender_report(*r);
      return;
    }
    case fmp::LinkMsgType::kReceiverReport: {
      auto r = mmp::decode_link_receiver_report(pkt.span());
      if (!r) return counters_.drop(LinkDrop::kMalformedMessage);
      ++counters_.mmp_receiver_reports_received;
      // Our timestamp now, on the clock we stamp frames with (the session's).
      if (p.mmp && p.current) {
        const bool had_srtt = p.mmp->metrics.srtt_ms().has_value();
        (void)p.mmp->on_receiver_report(*r, static_cast<uint32_t>(now - p.current->start_ms), now);
        if (!had_srtt && p.mmp->metrics.srtt_ms() && upper_) upper_->on_first_rtt(p, now);
      }
      return;
    }
    default:
      break;
  }
  if (!fmp::is_known_link_msg_type(type)) return counters_.drop(LinkDrop::kUnknownMsgType);
  p.last_useful_ms = now;
  if (!upper_ || !upper_->on_link_message(p, type, std::move(pkt), ce, now))
    counters_.drop(LinkDrop::kUnhandledMessage);
}

// ---- sending ----

bool LinkLayer::send_message(Peer& p, PacketBuf&& msg, uint64_t now, uint8_t extra_flags) {
  LinkSession* s = p.current.get();
  if (!s) return false;
  const size_t msg_len = msg.size();
  if (msg.headroom() < fmp::kEstablishedHeaderSize + 4 || msg.tailroom() < kAeadTagSize) {
    counters_.drop(LinkDrop::kNoBuffer);
    return false;
  }
  const size_t frame_len = msg_len + fmp::kFrameOverhead;
  if (frame_len > io_.mtu(p.tid, p.addr)) {
    counters_.drop(LinkDrop::kMtuExceeded);
    return false;
  }
  auto counter = s->keys.take_send_counter();
  if (!counter) {
    counters_.drop(LinkDrop::kSendFailed);
    return false;
  }
  (void)msg.push_front(fmp::kEstablishedHeaderSize + 4);
  uint8_t* d = msg.data();
  const size_t plain_len = 4 + msg_len;
  const uint8_t spin = p.mmp && p.mmp->spin.tx_bit() ? fmp::kFlagSP : 0;
  fmp::EstablishedHeader h{
      static_cast<uint8_t>((p.k_bit ? fmp::kFlagKeyEpoch : 0) | spin | extra_flags),
      static_cast<uint16_t>(plain_len), s->their_index, *counter};
  fmp::encode_established_header(h, std::span<uint8_t, 16>(d, 16));
  const auto ts = static_cast<uint32_t>(now - s->start_ms);
  store_u32le(d + fmp::kEstablishedHeaderSize, ts);
  if (!s->keys.seal_with(*counter, ByteSpan(d, fmp::kEstablishedHeaderSize),
                         ByteSpan(d + fmp::kEstablishedHeaderSize, plain_len),
                         d + fmp::kEstablishedHeaderSize)) {
    counters_.drop(LinkDrop::kSendFailed);
    return false;
  }
  (void)msg.push_back(kAeadTagSize);
  const size_t n = msg.size();
  if (!io_.send(p.tid, p.addr, std::move(msg))) {
    counters_.drop(LinkDrop::kSendFailed);
    return false;
  }
  ++p.stats.packets_sent;
  p.stats.bytes_sent += n;
  if (p.mmp) p.mmp->on_sent(*counter, ts, n);
  ++counters_.frames_out;
  counters_.bytes_out += n;
  return true;
}

bool LinkLayer::send_message_bytes(Peer& p, ByteSpan msg, uint64_t now, uint8_t extra_flags) {
  PacketBuf b = io_.alloc();
  if (!b || !b.push_back(msg.size())) {
    counters_.drop(LinkDrop::kNoBuffer);
    return false;
  }
  std::memcpy(b.data(), msg.data(), msg.size());
  return send_message(p, std::move(b), now, extra_flags);
}

bool LinkLayer::send_heartbeat(Peer& p, uint64_t now) {
  const uint8_t hb = static_cast<uint8_t>(fmp::LinkMsgType::kHeartbeat);
  p.heartbeat_sent = true;
  p.last_heartbeat_ms = now;
  return send_message_bytes(p, ByteSpan(&hb, 1), now);
}

bool LinkLayer::send_raw(TransportId tid, const TransportAddr& to, ByteSpan bytes) {
  PacketBuf b = io_.alloc();
  if (!b || !b.push_back(bytes.size())) {
    counters_.drop(LinkDrop::kNoBuffer);
    return false;
  }
  std::memcpy(b.data(), bytes.data(), bytes.size());
  if (!io_.send(tid, to, std::move(b))) {
    counters_.drop(LinkDrop::kSendFailed);
    return false;
  }
  return true;
}

}  // namespace fips
