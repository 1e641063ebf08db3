// FSP session layer: the encrypted data path (docs/spec/fsp-ipv6.md §5, §6.2-§6.3): sealing
// DataPackets in place in the caller's buffer (coords piggyback or a
// standalone CoordsWarmup first), sealing session control messages into the
// action arena, and receiving encrypted messages with the three-slot trial
// decryption, the epoch reaction and the inner dispatch.
// Nothing here allocates per packet: the buffer is the caller's, the
// session lookup is a hash probe, the AEAD works in place.
#include <algorithm>
#include <cstring>

#include "proto/fsp/session.h"
#include "proto/fsp/session_entry.h"

namespace fips::fsp {

namespace {

// A failed in-place open XORed the ciphertext with this key's keystream.
// ChaCha20 is its own inverse: sealing the damaged bytes with the same key
// and counter gives the ciphertext back (the tag is saved and restored,
// since seal writes a fresh one after the data). Used only when another key
// slot is still to be tried, so the common single-slot path never pays it.
void undo_failed_open(NoiseTransport& keys, uint64_t counter, MutByteSpan ct_and_tag) {
  const size_t n = ct_and_tag.size() - kTagSize;
  uint8_t tag[kTagSize];
  std::memcpy(tag, ct_and_tag.data() + n, kTagSize);
  (void)keys.recv_key().seal(counter, {}, ByteSpan(ct_and_tag.data(), n), ct_and_tag.data());
  std::memcpy(ct_and_tag.data() + n, tag, kTagSize);
}

}  // namespace

// ---- sending ----

SealStatus SessionManager::seal_data(const NodeAddr& dest, uint16_t src_port, uint16_t dst_port,
                                     PacketBuf& buf, uint16_t first_hop_mtu, uint64_t now,
                                     SessionActions& out) {
  SessionEntry* e = find(dest);
  if (!e) return SealStatus::kNoSession;
  if (!e->established()) return SealStatus::kNotEstablished;
  const size_t payload_len = buf.size();
  const size_t plain_len = kInnerHeaderSize + kPortHeaderSize + payload_len;
  if (plain_len > 0xFFFF) return SealStatus::kTooLarge;

  // Warmup (§6.2): piggyback both coordinate lists if the whole packet fits
  // the smallest transport MTU, else a standalone CoordsWarmup goes first.
  bool cp = false;
  CoordsView src_c, dst_c;
  if (e->warmup_remaining > 0) {
    src_c = env_.my_coords();
    dst_c = dest_coords_or_mine(dest, now);
    const size_t total = kFipsOverhead + kPortHeaderSize + coords_wire_size(src_c.size()) +
                         coords_wire_size(dst_c.size()) + payload_len;
    if (total <= env_.transport_mtu()) {
      cp = true;
    } else {
      src_c = dst_c = CoordsView();
      if (send_control(*e, static_cast<uint8_t>(SessionMsgType::kCoordsWarmup), {}, true, now, out))
        ++counters_.coords_warmups_sent;
    }
    --e->warmup_remaining;  // whatever happens to the send (S:2183-2185)
  }

  const size_t coords_len =
      cp ? coords_wire_size(src_c.size()) + coords_wire_size(dst_c.size()) : 0;
  const size_t front = kHeaderSize + coords_len + kInnerHeaderSize + kPortHeaderSize;
  if (buf.headroom() < front + params_.outer_headroom || buf.tailroom() < kTagSize) {
    PacketBuf nb = env_.alloc();
    if (!nb || !nb.set(front + params_.outer_headroom, payload_len) || nb.tailroom() < kTagSize) {
      ++counters_.seal_failed;
      return SealStatus::kNoBuffer;
    }
    if (payload_len) std::memcpy(nb.data(), buf.data(), payload_len);
    buf = std::move(nb);
    ++counters_.seal_copied;
  }
  auto counter = e->current->take_send_counter();
  if (!counter) {
    ++counters_.seal_failed;
    return SealStatus::kFailed;
  }
  (void)buf.push_front(front);
  (void)buf.push_back(kTagSize);
  const uint8_t flags = static_cast<uint8_t>((cp ? kFlagCP : 0) | (e->k_bit ? kFlagK : 0));
  auto layout = encode_encrypted_frame(buf.span(), flags, *counter, src_c, dst_c, plain_len);
  if (!layout) {
    ++counters_.seal_failed;
    return SealStatus::kFailed;
  }
  uint8_t* pt = buf.data() + layout->plaintext_offset;
  InnerHeader ih;
  ih.timestamp = static_cast<uint32_t>(now - e->session_start_ms);
  ih.msg_type = static_cast<uint8_t>(SessionMsgType::kData);
  ih.inner_flags = e->mmp && e->mmp->spin.tx_bit() ? kInnerFlagSP : 0;
  encode_inner_header(ih, std::span<uint8_t, kInnerHeaderSize>(pt, kInnerHeaderSize));
  encode_port_header(src_port, dst_port,
                     std::span<uint8_t, kPortHeaderSize>(pt + kInnerHeaderSize, kPortHeaderSize));
  if (!e->current->seal_with(*counter, ByteSpan(buf.data(), kHeaderSize), ByteSpan(pt, plain_len), pt)) {
    ++counters_.seal_failed;
    return SealStatus::kFailed;
  }
  ++e->stats.packets_sent;
  e->stats.bytes_sent += payload_len;  // service payload only (S:2265-2271)
  if (e->mmp) e->mmp->on_sent(*counter, ih.timestamp, plain_len + kTagSize);  // ciphertext (S:2266-2268)
  e->last_activity_ms = now;
  e->mtu.seed_source(first_hop_mtu);
  return SealStatus::kOk;
}

bool SessionManager::send_control(SessionEntry& e, uint8_t msg_type, ByteSpan body, bool with_coords,
                                  uint64_t now, SessionActions& out) {
  const uint16_t mtu = env_.route_mtu(e.remote, now);
  if (mtu == 0 || !e.current) return false;
  e.mtu.seed_source(mtu);
  CoordsView src_c, dst_c;
  if (with_coords) {  // after route_mtu: it may touch the cache these views point into
    src_c = env_.my_coords();
    dst_c = dest_coords_or_mine(e.remote, now);
  }
  const size_t plain_len = kInnerHeaderSize + body.size();
  // Ours: K follows the current epoch on CoordsWarmup too (the reference
  // sends CP only; receivers treat K as a trial-order hint either way).
  const uint8_t flags = static_cast<uint8_t>((with_coords ? kFlagCP : 0) | (e.k_bit ? kFlagK : 0));
  const size_t total = encrypted_plaintext_offset(flags, src_c, dst_c) + plain_len + kTagSize;
  auto counter = e.current->take_send_counter();
  if (!counter) return false;
  const size_t off = out.arena.size();
  out.arena.resize(off + total);
  MutByteSpan m(out.arena.data() + off, total);
  auto layout = encode_encrypted_frame(m, flags, *counter, src_c, dst_c, plain_len);
  if (!layout) {
    out.arena.resize(off);
    return false;
  }
  uint8_t* pt = m.data() + layout->plaintext_offset;
  InnerHeader ih;
  ih.timestamp = static_cast<uint32_t>(now - e.session_start_ms);
  ih.msg_type = msg_type;
  ih.inner_flags = e.mmp && e.mmp->spin.tx_bit() ? kInnerFlagSP : 0;
  encode_inner_header(ih, std::span<uint8_t, kInnerHeaderSize>(pt, kInnerHeaderSize));
  if (!body.empty()) std::memcpy(pt + kInnerHeaderSize, body.data(), body.size());
  if (!e.current->seal_with(*counter, ByteSpan(m.data(), kHeaderSize), ByteSpan(pt, plain_len), pt)) {
    out.arena.resize(off);
    return false;
  }
  push_send(e.remote, off, out);
  // Every session message counts for MMP, reports and warmups included; none
  // of them touches the idle timer.
  if (e.mmp) e.mmp->on_sent(*counter, ih.timestamp, plain_len + kTagSize);
  return true;
}

// ---- receiving (S:182-507) ----

RxResult SessionManager::on_encrypted(const NodeAddr& src, uint16_t path_mtu, PacketBuf& buf,
                                      uint64_t now, SessionActions& out, bool ce) {
  RxResult r;
  auto m = decode_encrypted(buf.span());
  if (!m) {
    ++counters_.malformed;
    return r;
  }
  SessionEntry* e = find(src);
  if (!e) {
    ++counters_.unknown_session;
    return r;
  }
  if (!e->established()) {
    ++counters_.bad_state;
    return r;
  }
  const uint64_t counter = m->header.counter;
  const size_t ct_off = static_cast<size_t>(m->ciphertext.data() - buf.data());
  MutByteSpan ct(buf.data() + ct_off, m->ciphertext.size());
  const ByteSpan aad(buf.data(), kHeaderSize);

  // Trial order (E:592-632): current, pending, previous; pending first when
  // the K bit differs from ours and a pending session exists (a hint only).
  enum Slot { kCurrent, kPending, kPrevious };
  const bool rx_k = (m->header.flags & kFlagK) != 0;
  Slot order[3] = {kCurrent, kPending, kPrevious};
  if (rx_k != e->k_bit && e->pending) {
    order[0] = kPending;
    order[1] = kCurrent;
  }
  auto slot_keys = [&](Slot s) -> NoiseTransport* {
    switch (s) {
      case kCurrent: return e->current.get();
      case kPending: return e->pending.get();
      case kPrevious: return e->previous.get();
    }
    return nullptr;
  };
  int hit = -1;
  bool replayed = false;
  for (int i = 0; i < 3 && hit < 0; ++i) {
    NoiseTransport* k = slot_keys(order[i]);
    if (!k) continue;
    auto res = k->open(counter, aad, ct, ct.data());
    if (res.ok()) {
      hit = order[i];
      break;
    }
    if (res.error() == NoiseErr::kReplay) {
      replayed = true;
      continue;
    }
    bool more = false;
    for (int j = i + 1; j < 3; ++j) more |= slot_keys(order[j]) != nullptr;
    if (more) undo_failed_open(*k, counter, ct);
  }
  if (hit < 0) {
    if (replayed) ++counters_.replay;
    else ++counters_.decrypt_failed;
    return r;
  }

  // Epoch reaction (C:304-327): a pending hit is the cutover signal.
  if (hit == kPending) {
    e->rekey_msg3_retained = false;
    e->rekey_msg3_next_ms.reset();
    promote_pending(*e, now);
  } else if (hit == kCurrent && e->rekey_msg3_retained && !e->pending) {
    e->rekey_msg3_retained = false;  // the peer is on our new keys
    e->rekey_msg3_next_ms.reset();
  } else if (hit == kPrevious && e->draining()) {
    e->previous_last_used_ms = now;  // the peer still uses the old epoch
  }
  e->msg3_retained = false;  // ours: the responder has the keys
  r.flush_pending = true;
  r.outcome = RxOutcome::kConsumed;

  const ByteSpan plaintext(ct.data(), ct.size() - kTagSize);
  auto inner = decode_inner(plaintext);
  if (!inner) {
    ++counters_.malformed;
    r.outcome = RxOutcome::kDropped;
    return r;
  }
  // Session MMP counts every decrypted message (S:358-373): plaintext size,
  // the sender's timestamp, CE of the carrying frame, the spin bit.
  if (e->mmp)
    e->mmp->on_recv(counter, inner->header.timestamp, plaintext.size(), ce,
                    (inner->header.inner_flags & kInnerFlagSP) != 0, now);
  e->mtu.observe(path_mtu);  // every message type (S:378-382)
  switch (static_cast<SessionMsgType>(inner->header.msg_type)) {
    case SessionMsgType::kData: {
      auto d = decode_data(inner->body);
      if (!d) {
        ++counters_.malformed;
        r.outcome = RxOutcome::kDropped;
        return r;
      }
      ++e->stats.packets_recv;
      e->stats.bytes_recv += inner->body.size();  // port header included (S:496-501)
      e->last_activity_ms = now;
      r.src_port = d->src_port;
      r.dst_port = d->dst_port;
      r.outcome = RxOutcome::kDelivered;
      buf.pull_front(ct_off + kInnerHeaderSize + kPortHeaderSize);
      buf.trim_back(kTagSize);
      return r;
    }
    case SessionMsgType::kSenderReport:
    case SessionMsgType::kReceiverReport:
      on_report(*e, inner->header.msg_type, inner->body, now);
      return r;
    case SessionMsgType::kPathMtuNotification: {
      auto n = decode_path_mtu_notification(inner->body);
      if (!n) {
        ++counters_.malformed;
        r.outcome = RxOutcome::kDropped;
        return r;
      }
      if (n->path_mtu < kMinActionablePathMtu) {
        ++counters_.path_mtu_notif_below_floor;
        return r;
      }
      if (e->mtu.apply_notification(n->path_mtu, now)) {
        SessionEvent ev;
        ev.kind = SessionEvent::Kind::kPathMtuChanged;
        ev.peer = src;
        ev.mtu = e->mtu.current_mtu();
        out.events.push_back(ev);
      }
      return r;
    }
    case SessionMsgType::kCoordsWarmup:
      return r;  // the coordinates were cached by the node's transit warming
    default:
      ++counters_.unknown_msg_type;
      r.outcome = RxOutcome::kDropped;
      return r;
  }
}

}  // namespace fips::fsp
