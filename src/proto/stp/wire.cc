#include "proto/stp/wire.h"

#include <algorithm>

namespace fips::stp {

AncestryEntry AncestryView::at(size_t i) const {
  const uint8_t* p = entries_.data() + i * kAncestryEntrySize;
  AncestryEntry e;
  std::memcpy(e.node_addr.bytes.data(), p, 16);
  e.sequence = load_u64le(p + 16);
  e.timestamp = load_u64le(p + 24);
  return e;
}

Ancestry AncestryView::to_owned() const {
  Ancestry a;
  a.reserve(count_);
  for (size_t i = 0; i < count_; ++i) a.push_back(at(i));
  return a;
}

TreeAnnounce TreeAnnounceView::to_owned() const {
  TreeAnnounce m;
  m.sequence = sequence;
  m.timestamp = timestamp;
  m.parent = parent;
  m.ancestry = ancestry.to_owned();
  if (signature.size() == kSignatureSize) std::copy(signature.begin(), signature.end(), m.signature.begin());
  return m;
}

WireResult<TreeAnnounceView> decode_tree_announce(ByteSpan msg) {
  Reader r(msg);
  const uint8_t type = r.u8();
  if (r.ok() && type != kMsgTypeTreeAnnounce) r.fail(WireErr::kBadType, "msg_type", kMsgTypeTreeAnnounce, type);
  const uint8_t version = r.u8();
  if (r.ok() && version != kVersion1) r.fail(WireErr::kBadVersion, "version", kVersion1, version);
  TreeAnnounceView m;
  m.sequence = r.u64le();
  m.timestamp = r.u64le();
  m.parent = NodeAddr{r.array<16>("parent")};
  const uint16_t count = r.u16le();
  if (r.ok() && count == 0) r.fail(WireErr::kBadValue, "ancestry_count", 1, 0);
  if (r.ok() && count > kMaxAncestryEntries)
    r.fail(WireErr::kTooLarge, "ancestry_count", kMaxAncestryEntries, count);
  ByteSpan entries = r.bytes(size_t{count} * kAncestryEntrySize, "ancestry");
  m.signature = r.bytes(kSignatureSize, "signature");
  // Bytes after the signature are ignored: the reference's decoder checks a
  // minimum length only, and the signature covers fields, not the message.
  FIPS_TRY(r.status());
  m.ancestry = AncestryView(entries, count);
  return m;
}

namespace {

WireStatus check_count(size_t n) {
  if (n == 0) return wire_err(WireErr::kBadValue, "ancestry", 1, 0);
  if (n > kMaxAncestryEntries) return wire_err(WireErr::kTooLarge, "ancestry", kMaxAncestryEntries, n);
  return {};
}

void write_header(Writer& w, uint64_t sequence, uint64_t timestamp, const NodeAddr& parent, size_t count) {
  w.u8(kMsgTypeTreeAnnounce);
  w.u8(kVersion1);
  w.u64le(sequence);
  w.u64le(timestamp);
  w.bytes(parent.bytes);
  w.u16le(static_cast<uint16_t>(count));
}

}  // namespace

WireStatus encode_tree_announce(Writer& w, const TreeAnnounce& m) {
  FIPS_TRY(check_count(m.ancestry.size()));
  write_header(w, m.sequence, m.timestamp, m.parent, m.ancestry.size());
  for (const AncestryEntry& e : m.ancestry) {
    w.bytes(e.node_addr.bytes);
    w.u64le(e.sequence);
    w.u64le(e.timestamp);
  }
  w.bytes(m.signature);
  return w.status();
}

WireStatus encode_tree_announce(Writer& w, const TreeAnnounceView& m) {
  FIPS_TRY(check_count(m.ancestry.size()));
  if (m.signature.size() != kSignatureSize)
    return wire_err(WireErr::kBadLength, "signature", kSignatureSize, m.signature.size());
  write_header(w, m.sequence, m.timestamp, m.parent, m.ancestry.size());
  w.bytes(m.ancestry.raw());
  w.bytes(m.signature);
  return w.status();
}

SignedBytes signed_bytes(const NodeAddr& node_addr, const NodeAddr& parent, uint64_t sequence,
                         uint64_t timestamp) {
  SignedBytes out{};
  std::memcpy(out.data(), node_addr.bytes.data(), 16);
  std::memcpy(out.data() + 16, parent.bytes.data(), 16);
  store_u64le(out.data() + 32, sequence);
  store_u64le(out.data() + 40, timestamp);
  return out;
}

SignedBytes signed_bytes(const TreeAnnounce& m) {
  return signed_bytes(m.node_addr(), m.parent, m.sequence, m.timestamp);
}

SignedBytes signed_bytes(const TreeAnnounceView& m) {
  return signed_bytes(m.node_addr(), m.parent, m.sequence, m.timestamp);
}

bool sign_tree_announce(const Identity& id, TreeAnnounce& m) {
  if (m.ancestry.empty() || m.ancestry[0].node_addr != id.node_addr()) return false;
  const SignedBytes data = signed_bytes(m);
  m.signature = id.sign(data);
  return true;
}

bool verify_tree_announce(const PeerIdentity& peer, const TreeAnnounce& m) {
  if (m.ancestry.empty() || m.ancestry[0].node_addr != peer.node_addr()) return false;
  const SignedBytes data = signed_bytes(m);
  return peer.verify(data, m.signature);
}

bool verify_tree_announce(const PeerIdentity& peer, const TreeAnnounceView& m) {
  if (m.ancestry.empty() || m.signature.size() != kSignatureSize) return false;
  if (m.node_addr() != peer.node_addr()) return false;
  const SignedBytes data = signed_bytes(m);
  return peer.verify(data, m.signature.first<kSignatureSize>());
}

AncestryCheck check_ancestry(const TreeAnnounceView& m) {
  const size_t n = m.ancestry.size();
  if (n == 0) return AncestryCheck::kTooShort;  // unreachable after decode
  if (m.is_root()) {
    if (n != 1) return AncestryCheck::kRootWithAncestors;
  } else {
    if (n < 2) return AncestryCheck::kTooShort;
    if (m.ancestry.node_addr_at(1) != m.parent) return AncestryCheck::kParentMismatch;
  }
  NodeAddr min = m.ancestry.node_addr_at(0);
  for (size_t i = 1; i < n; ++i) min = std::min(min, m.ancestry.node_addr_at(i));
  if (m.ancestry.node_addr_at(n - 1) != min) return AncestryCheck::kRootNotMinimum;
  return AncestryCheck::kOk;
}

}  // namespace fips::stp
