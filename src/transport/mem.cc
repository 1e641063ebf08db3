#include "transport/mem.h"

#include <algorithm>

namespace fips {
namespace {
// Min-heap on (due, seq): std heap algorithms build a max-heap, so invert.
struct Later {
  template <class F>
  bool operator()(const F& a, const F& b) const {
    return a.due != b.due ? a.due > b.due : a.seq > b.seq;
  }
};
}  // namespace

MemNetwork::MemNetwork(uint64_t seed, size_t max_in_flight)
    : rng_(seed), max_in_flight_(max_in_flight) {}

MemNetwork::~MemNetwork() = default;

void MemNetwork::set_link(const TransportAddr& from, const TransportAddr& to,
                          const MemLinkParams& p) {
  links_[LinkKey{from.synthetic_id(), to.synthetic_id()}] = p;
}

void MemNetwork::set_link_both(const TransportAddr& a, const TransportAddr& b,
                               const MemLinkParams& p) {
  set_link(a, b, p);
  set_link(b, a, p);
}

void MemNetwork::clear_link(const TransportAddr& from, const TransportAddr& to) {
  links_.erase(LinkKey{from.synthetic_id(), to.synthetic_id()});
}

void MemNetwork::attach(MemTransport* t) {
  nodes_[t->addr_.synthetic_id()] = t;
}

void MemNetwork::detach(MemTransport* t) {
  auto it = nodes_.find(t->addr_.synthetic_id());
  if (it != nodes_.end() && it->second == t) nodes_.erase(it);
}

// splitmix64: tiny, fast, and the same sequence everywhere for a seed.
uint64_t MemNetwork::next_random() {
  uint64_t z = (rng_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double MemNetwork::next_unit() {
  return static_cast<double>(next_random() >> 11) * 0x1.0p-53;  // [0, 1)
}

bool MemNetwork::submit(const TransportAddr& from, const TransportAddr& to, PacketBuf&& pkt) {
  PacketBuf p = std::move(pkt);
  if (heap_.size() >= max_in_flight_) {
    ++stats_.queue_full;
    return false;
  }
  auto it = links_.find(LinkKey{from.synthetic_id(), to.synthetic_id()});
  const MemLinkParams& link = it == links_.end() ? default_link_ : it->second;
  ++stats_.submitted;
  if (!link.up || (link.loss > 0.0 && next_unit() < link.loss)) {
    ++stats_.lost;
    return true;  // the sender cannot tell (p is released here)
  }
  uint64_t due = now_ + link.latency_ms;
  if (link.jitter_ms > 0) due += next_random() % (link.jitter_ms + 1);
  heap_.push_back(Flight{due, next_seq_++, from, to, std::move(p)});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  return true;
}

uint64_t MemNetwork::next_due() const {
  return heap_.empty() ? std::numeric_limits<uint64_t>::max() : heap_.front().due;
}

size_t MemNetwork::deliver(uint64_t now_ms) {
  now_ = std::max(now_, now_ms);
  // Anything sent during this call gets seq >= limit and due >= now_, so it
  // sorts after every packet already due: stopping at it is exact.
  const uint64_t seq_limit = next_seq_;
  size_t n = 0;
  receivers_.clear();
  while (!heap_.empty() && heap_.front().due <= now_ && heap_.front().seq < seq_limit) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    Flight f = std::move(heap_.back());
    heap_.pop_back();
    auto it = nodes_.find(f.to.synthetic_id());
    if (it == nodes_.end()) {
      ++stats_.no_route;
      continue;
    }
    MemTransport* t = it->second;
    ++t->stats_.packets_recv;
    t->stats_.bytes_recv += f.pkt.size();
    if (!t->in_burst_) {
      t->in_burst_ = true;
      receivers_.push_back(f.to.synthetic_id());
    }
    ++stats_.delivered;
    ++n;
    t->sink_.on_packet(t->id(), f.from, std::move(f.pkt));  // may send or detach
  }
  // Receivers are looked up again: a sink may have destroyed its transport.
  for (size_t i = 0; i < receivers_.size(); ++i) {
    auto it = nodes_.find(receivers_[i]);
    if (it == nodes_.end() || !it->second->in_burst_) continue;
    it->second->in_burst_ = false;
    it->second->sink_.on_burst_end();
  }
  return n;
}

MemTransport::MemTransport(TransportId id, MemNetwork& net, uint64_t addr_id, TransportSink& sink,
                           uint16_t mtu)
    : Transport(id), net_(net), addr_(TransportAddr::synthetic(addr_id)), sink_(sink), mtu_(mtu) {
  net_.attach(this);
}

MemTransport::~MemTransport() {
  net_.detach(this);
}

bool MemTransport::send(const TransportAddr& to, PacketBuf&& pkt) {
  PacketBuf p = std::move(pkt);
  if (!p.valid() || !to.valid() || to.is_v4() || to.is_v6()) {
    ++stats_.send_errors;
    return false;
  }
  if (p.size() > mtu_) {
    ++stats_.mtu_exceeded;
    return false;
  }
  const size_t len = p.size();
  if (!net_.submit(addr_, to, std::move(p))) {
    ++stats_.queue_full;
    return false;
  }
  ++stats_.packets_sent;
  stats_.bytes_sent += len;
  return true;
}

}  // namespace fips
