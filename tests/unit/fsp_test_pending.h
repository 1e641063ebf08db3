// Test helper for the FSP session harness: per-destination queues of packets
// waiting for a session (docs/spec/fsp-ipv6.md §11), over plain byte vectors. The node itself
// uses ipv6::PendingQueue (src/ipv6/pending_queue.h) over pool buffers.
//   push     a destination without a queue is refused when max_dests queues
//            exist (no counter in the reference; counted here); a full
//            queue drops its OLDEST packet to make room.
//   take     removes the whole queue (FIFO) for the flush at establishment
//            and after every decrypted message from that source; the caller
//            stops at the first failed send and discards the rest.
//   discard  handshake timeout, idle purge, direct-peer removal, lookup
//            timeout (the node sends one ICMPv6 Unreachable per packet).
// Allocation happens only while packets wait for a session, never on the
// established data path. Not here: what is queued (T is the caller's).
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <utility>

#include "identity/node_addr.h"

namespace fips::fsp {

struct PendingCounters {
  uint64_t queued = 0;
  uint64_t dropped_oldest = 0;    // per-destination limit
  uint64_t refused = 0;           // destination limit
  uint64_t discarded = 0;         // discard()
};

template <class T>
class PendingQueues {
 public:
  PendingQueues(size_t per_dest, size_t max_dests)
      : per_dest_(per_dest ? per_dest : 1), max_dests_(max_dests) {}

  enum class Push : uint8_t { kQueued, kQueuedDroppedOldest, kRefused };
  Push push(const NodeAddr& dest, T&& item) {
    auto it = queues_.find(dest);
    if (it == queues_.end()) {
      if (queues_.size() >= max_dests_) {
        ++counters_.refused;
        return Push::kRefused;
      }
      it = queues_.emplace(dest, std::deque<T>()).first;
    }
    Push r = Push::kQueued;
    if (it->second.size() >= per_dest_) {
      it->second.pop_front();
      --packets_;
      ++counters_.dropped_oldest;
      r = Push::kQueuedDroppedOldest;
    }
    it->second.push_back(std::move(item));
    ++packets_;
    ++counters_.queued;
    return r;
  }

  [[nodiscard]] bool has(const NodeAddr& dest) const { return queues_.count(dest) != 0; }
  // Removes dest's queue and returns it (empty if none).
  std::deque<T> take(const NodeAddr& dest) {
    auto it = queues_.find(dest);
    if (it == queues_.end()) return {};
    std::deque<T> q = std::move(it->second);
    queues_.erase(it);
    packets_ -= q.size();
    return q;
  }
  size_t discard(const NodeAddr& dest) {
    auto q = take(dest);
    counters_.discarded += q.size();
    return q.size();
  }
  void clear() {
    queues_.clear();
    packets_ = 0;
  }

  [[nodiscard]] size_t destinations() const { return queues_.size(); }  // show_routing gauges
  [[nodiscard]] size_t packets() const { return packets_; }
  [[nodiscard]] const PendingCounters& counters() const { return counters_; }

 private:
  size_t per_dest_, max_dests_;
  std::unordered_map<NodeAddr, std::deque<T>, NodeAddrHash> queues_;
  size_t packets_ = 0;
  PendingCounters counters_;
};

}  // namespace fips::fsp
