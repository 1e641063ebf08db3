// Packets waiting for a session (reference S:2966-2992, push_bounded_pending
// in src/proto/fsp/core.rs): one FIFO per destination NodeAddr, bounded per
// destination (drop-oldest), in destinations (refuse new ones) and, ours, in
// total packets, because every queued packet pins a pool buffer.
// Used for raw IPv6 packets from the TUN (MSS already clamped) and reusable
// for the native datagram queue (the 32-bit tag carries whatever the caller
// needs per packet, e.g. a flow key index).
// Not here: when to flush or discard (the node, docs/spec/fsp-ipv6.md §11), what a packet means.
//
// Admission (push):
//   dest has no queue and destinations() >= max_destinations
//       -> refused (kRefusedDestinations), packet released;
//   dest's queue holds per_dest packets -> its oldest is dropped, then push;
//   packets() >= max_packets (ours)   -> dest's own oldest is dropped if it has
//       one, else refused (kRefusedFull).
// flush() detaches the queue before handing packets out, so the callback
// may push() again (even for the same destination) without disturbing it.
// Storage: one slab of max_packets slots allocated up front and a destination
// table that grows to its high-water mark; nothing is allocated per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/buffer_pool.h"
#include "identity/node_addr.h"
#include "util/function_ref.h"
#include "util/lru_table.h"

namespace fips::ipv6 {

struct PendingLimits {
  size_t per_dest = 16;           // node.session.pending_packets_per_dest
  size_t max_destinations = 256;  // node.session.pending_max_destinations
  size_t max_packets = 1024;      // ours: total across destinations
};

struct PendingCounters {
  uint64_t queued = 0;
  uint64_t dropped_oldest = 0;        // evicted to make room (per-dest or total bound)
  uint64_t refused_destinations = 0;  // new destination over max_destinations
  uint64_t refused_full = 0;          // total bound reached, nothing of dest's to evict
  uint64_t flushed = 0;               // handed to a flush callback
  uint64_t discarded = 0;             // dropped by discard()/clear() or after a failed flush send
};

class PendingQueue {
 public:
  enum class Admit : uint8_t { kQueued, kQueuedDroppedOldest, kRefusedDestinations, kRefusedFull };

  explicit PendingQueue(PendingLimits limits = {}, uint64_t seed = 0);
  PendingQueue(const PendingQueue&) = delete;
  PendingQueue& operator=(const PendingQueue&) = delete;

  // Takes pkt (released on refusal). An invalid PacketBuf is refused as full.
  Admit push(const NodeAddr& dest, PacketBuf&& pkt, uint32_t tag = 0);

  // Removes dest's queue and hands its packets to send in FIFO order. When
  // send returns false (a send error) the remaining packets are discarded, as
  // the reference does. Returns how many were handed out (incl. the failed one).
  size_t flush(const NodeAddr& dest, FunctionRef<bool(PacketBuf&& pkt, uint32_t tag)> send);
  // Drops dest's queue; returns how many packets it held.
  size_t discard(const NodeAddr& dest);
  void clear();

  [[nodiscard]] bool contains(const NodeAddr& dest) const {
    return dests_.find(dest) != Table::kNil;
  }
  [[nodiscard]] size_t queued(const NodeAddr& dest) const;
  [[nodiscard]] size_t destinations() const { return dests_.size(); }
  [[nodiscard]] size_t packets() const { return packets_; }
  [[nodiscard]] const PendingLimits& limits() const { return limits_; }
  [[nodiscard]] const PendingCounters& counters() const { return counters_; }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  struct Slot {
    PacketBuf pkt;
    uint32_t tag = 0;
    uint32_t next = kNil;
  };
  struct Fifo {
    uint32_t head = kNil, tail = kNil;
    uint32_t count = 0;
  };
  using Table = LruTable<NodeAddr, Fifo, NodeAddrHash>;

  void pop_oldest(Fifo& q);  // releases the head packet
  void free_slot(uint32_t s);

  PendingLimits limits_;
  Table dests_;
  std::vector<Slot> slab_;
  uint32_t free_ = kNil;
  size_t packets_ = 0;
  PendingCounters counters_;
};

}  // namespace fips::ipv6
