#include "ipv6/pending_queue.h"

#include <utility>

namespace fips::ipv6 {

PendingQueue::PendingQueue(PendingLimits limits, uint64_t seed) : limits_(limits), dests_(seed) {
  if (limits_.per_dest == 0) limits_.per_dest = 1;
  if (limits_.max_packets == 0) limits_.max_packets = 1;
  if (limits_.max_packets > kNil - 1) limits_.max_packets = kNil - 1;
  slab_.resize(limits_.max_packets);
  for (size_t i = slab_.size(); i-- > 0;) {
    slab_[i].next = free_;
    free_ = static_cast<uint32_t>(i);
  }
}

void PendingQueue::free_slot(uint32_t s) {
  slab_[s].pkt.release();
  slab_[s].next = free_;
  free_ = s;
  --packets_;
}

void PendingQueue::pop_oldest(Fifo& q) {
  const uint32_t s = q.head;
  q.head = slab_[s].next;
  if (q.head == kNil) q.tail = kNil;
  --q.count;
  free_slot(s);
}

PendingQueue::Admit PendingQueue::push(const NodeAddr& dest, PacketBuf&& pkt, uint32_t tag) {
  PacketBuf p = std::move(pkt);
  if (!p.valid()) {
    ++counters_.refused_full;
    return Admit::kRefusedFull;
  }
  uint32_t d = dests_.find(dest);
  if (d == Table::kNil && dests_.size() >= limits_.max_destinations) {
    ++counters_.refused_destinations;
    return Admit::kRefusedDestinations;
  }
  bool dropped = false;
  if (d != Table::kNil) {
    Fifo& q = dests_.value(d);
    if (q.count >= limits_.per_dest || (packets_ >= limits_.max_packets && q.count > 0)) {
      pop_oldest(q);
      ++counters_.dropped_oldest;
      dropped = true;
    }
  }
  if (packets_ >= limits_.max_packets) {
    // Only a new destination gets here: an existing one gave up its oldest above.
    ++counters_.refused_full;
    return Admit::kRefusedFull;
  }
  if (d == Table::kNil) d = dests_.insert(dest, Fifo{});
  const uint32_t s = free_;
  free_ = slab_[s].next;
  slab_[s].pkt = std::move(p);
  slab_[s].tag = tag;
  slab_[s].next = kNil;
  ++packets_;
  Fifo& q = dests_.value(d);
  if (q.tail == kNil)
    q.head = s;
  else
    slab_[q.tail].next = s;
  q.tail = s;
  ++q.count;
  ++counters_.queued;
  return dropped ? Admit::kQueuedDroppedOldest : Admit::kQueued;
}

size_t PendingQueue::flush(const NodeAddr& dest, FunctionRef<bool(PacketBuf&&, uint32_t)> send) {
  const uint32_t d = dests_.find(dest);
  if (d == Table::kNil) return 0;
  uint32_t s = dests_.value(d).head;
  dests_.erase(d);  // detached: send() may push again
  size_t n = 0;
  bool ok = true;
  while (s != kNil) {
    const uint32_t next = slab_[s].next;
    if (ok) {
      PacketBuf p = std::move(slab_[s].pkt);
      const uint32_t tag = slab_[s].tag;
      free_slot(s);  // before the callback, so a re-push finds room
      ++n;
      ++counters_.flushed;
      ok = send(std::move(p), tag);
    } else {
      free_slot(s);
      ++counters_.discarded;
    }
    s = next;
  }
  return n;
}

size_t PendingQueue::discard(const NodeAddr& dest) {
  const uint32_t d = dests_.find(dest);
  if (d == Table::kNil) return 0;
  Fifo& q = dests_.value(d);
  const size_t n = q.count;
  while (q.count > 0) pop_oldest(q);
  counters_.discarded += n;
  dests_.erase(d);
  return n;
}

void PendingQueue::clear() {
  while (!dests_.empty()) {
    const NodeAddr k = dests_.key(dests_.oldest());
    (void)discard(k);
  }
}

size_t PendingQueue::queued(const NodeAddr& dest) const {
  const uint32_t d = dests_.find(dest);
  return d == Table::kNil ? 0 : dests_.value(d).count;
}

}  // namespace fips::ipv6
