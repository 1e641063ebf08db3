// In-memory transport for tests and the simulator: MemTransports attached
// to one MemNetwork exchange PacketBufs over directional links with loss,
// latency and jitter, driven by a manual clock (deliver(now)). Deterministic
// for a given seed and call sequence; nothing is allocated per packet once
// the in-flight heap has grown.
// Not here: sockets or real time (transport/udp, transport/tcp), FMP logic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "dataplane/buffer_pool.h"
#include "transport/transport.h"

namespace fips {

struct MemLinkParams {
  double loss = 0.0;        // drop probability in [0, 1]
  uint64_t latency_ms = 0;  // fixed one-way delay
  uint64_t jitter_ms = 0;   // plus uniform [0, jitter_ms]; may reorder
  bool up = true;           // false: everything on the link is lost
};

struct MemNetworkStats {
  uint64_t submitted = 0;   // accepted into the network
  uint64_t delivered = 0;   // handed to a receiver's sink
  uint64_t lost = 0;        // dropped by loss or a down link
  uint64_t no_route = 0;    // no transport attached at the destination on delivery
  uint64_t queue_full = 0;  // refused: max_in_flight reached
};

class MemTransport;

// Must outlive its transports; the pools of in-flight packets must outlive it.
class MemNetwork {
 public:
  explicit MemNetwork(uint64_t seed = 1, size_t max_in_flight = 1 << 16);
  MemNetwork(const MemNetwork&) = delete;
  MemNetwork& operator=(const MemNetwork&) = delete;
  ~MemNetwork();

  // Links are directional; unset links use the default.
  void set_default_link(const MemLinkParams& p) { default_link_ = p; }
  void set_link(const TransportAddr& from, const TransportAddr& to, const MemLinkParams& p);
  void set_link_both(const TransportAddr& a, const TransportAddr& b, const MemLinkParams& p);
  void clear_link(const TransportAddr& from, const TransportAddr& to);

  // Advances the clock to now_ms (never backwards) and hands every packet due
  // by then to its receiver's sink, in (due time, send order) order, then
  // calls on_burst_end once per receiver that got something. Packets sent
  // from inside those callbacks wait for the next call even at zero latency.
  // Returns the number delivered.
  size_t deliver(uint64_t now_ms);
  // Earliest due time in flight; UINT64_MAX when nothing is in flight.
  [[nodiscard]] uint64_t next_due() const;
  [[nodiscard]] uint64_t now() const { return now_; }
  [[nodiscard]] size_t in_flight() const { return heap_.size(); }
  [[nodiscard]] const MemNetworkStats& stats() const { return stats_; }

 private:
  friend class MemTransport;
  struct Flight {
    uint64_t due;
    uint64_t seq;
    TransportAddr from, to;
    PacketBuf pkt;
  };
  struct LinkKey {
    uint64_t from, to;
    bool operator==(const LinkKey& o) const { return from == o.from && to == o.to; }
  };
  struct LinkKeyHash {
    size_t operator()(const LinkKey& k) const noexcept {
      return static_cast<size_t>((k.from * 0x9E3779B97F4A7C15ULL) ^ (k.to + 0x632BE59BD9B4E019ULL));
    }
  };

  void attach(MemTransport* t);
  void detach(MemTransport* t);
  // False only when the network is full (the caller counts queue_full).
  bool submit(const TransportAddr& from, const TransportAddr& to, PacketBuf&& pkt);
  uint64_t next_random();
  double next_unit();

  uint64_t rng_;
  size_t max_in_flight_;
  uint64_t now_ = 0;
  uint64_t next_seq_ = 0;
  MemLinkParams default_link_;
  std::unordered_map<LinkKey, MemLinkParams, LinkKeyHash> links_;
  std::unordered_map<uint64_t, MemTransport*> nodes_;
  std::vector<Flight> heap_;  // min-heap on (due, seq)
  std::vector<uint64_t> receivers_;
  MemNetworkStats stats_;
};

class MemTransport : public Transport {
 public:
  // Attaches at TransportAddr::synthetic(addr_id) (one transport per id).
  // In-flight packets keep the sender's PacketBuf: the pool must outlive them.
  MemTransport(TransportId id, MemNetwork& net, uint64_t addr_id, TransportSink& sink,
               uint16_t mtu = 1280);
  ~MemTransport() override;
  MemTransport(const MemTransport&) = delete;
  MemTransport& operator=(const MemTransport&) = delete;

  [[nodiscard]] const TransportAddr& address() const { return addr_; }
  [[nodiscard]] std::string_view type() const override { return "mem"; }
  [[nodiscard]] TransportState state() const override { return TransportState::kUp; }
  [[nodiscard]] uint16_t mtu() const override { return mtu_; }
  [[nodiscard]] std::string local_addr() const override { return addr_.str(); }
  [[nodiscard]] bool accepts_inbound() const override { return accepts_inbound_; }
  void set_accepts_inbound(bool v) { accepts_inbound_ = v; }

  // Refused (false, counted): larger than the MTU (mtu_exceeded), not a
  // synthetic address (send_errors), network full (queue_full). Loss is
  // silent here and counted in the network's stats.
  bool send(const TransportAddr& to, PacketBuf&& pkt) override;
  void flush() override {}

 private:
  friend class MemNetwork;
  MemNetwork& net_;
  TransportAddr addr_;
  TransportSink& sink_;
  uint16_t mtu_;
  bool accepts_inbound_ = true;
  bool in_burst_ = false;  // listed in the network's receivers_ this round
};

}  // namespace fips
