// Msg1Memory: which Noise IK msg1 ephemerals this node has already answered,
// and for whom. A msg1 whose ephemeral key was seen before is a
// retransmission (its msg2 was lost: answer with the same msg2) or a replay
// by someone who captured it (drop it before any Diffie-Hellman). Without
// this, a captured msg1 replayed from another address looks like a fresh
// rekey or restart of a live link (issue 15, docs/interop.md "Replayed
// msg1").
//
// Driven by LinkLayer::on_msg1: seen() before the DH, remember() after a
// msg1 passed Noise processing (so garbage never evicts real entries).
// Bounded: a FIFO ring of `capacity` digests; the oldest is forgotten first.
// The digest is 8 bytes of the ephemeral's x coordinate (fresh random for
// every honest handshake, so collisions between honest keys do not matter;
// a forged ephemeral that collides only makes its own msg1 look replayed).
// Not here: the policy for a replay older than the ring (link_handshake.cc
// keeps keys from an unproven handshake pending until the peer's first frame
// under them authenticates).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

#include "identity/node_addr.h"
#include "util/bytes.h"

namespace fips {

class Msg1Memory {
 public:
  explicit Msg1Memory(size_t capacity = 4096) : ring_(capacity) { map_.reserve(capacity); }

  // `noise_msg1` starts with the 33-byte compressed ephemeral key.
  static uint64_t digest(ByteSpan noise_msg1) {
    uint64_t d = 0;
    if (noise_msg1.size() >= 9) std::memcpy(&d, noise_msg1.data() + 1, 8);
    return d;
  }
  // The peer whose msg1 carried this ephemeral, if it is remembered.
  [[nodiscard]] std::optional<NodeAddr> seen(uint64_t d) const {
    auto it = map_.find(d);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  void remember(uint64_t d, const NodeAddr& from) {
    if (ring_.empty() || map_.count(d)) return;
    if (filled_ == ring_.size()) map_.erase(ring_[next_]);
    else ++filled_;
    ring_[next_] = d;
    next_ = (next_ + 1) % ring_.size();
    map_.emplace(d, from);
  }
  [[nodiscard]] size_t size() const { return map_.size(); }

 private:
  std::vector<uint64_t> ring_;
  size_t next_ = 0, filled_ = 0;
  std::unordered_map<uint64_t, NodeAddr> map_;
};

}  // namespace fips
