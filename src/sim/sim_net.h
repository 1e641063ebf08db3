// Many real Nodes in one process joined by in-memory links (MemNetwork) on a
// manual clock: the harness for multi-node tests and the fips-sim simulator.
// Deterministic for a given seed (identities, indices, loss, tick phases).
// Node ticks are kept in a min-heap keyed by (due time, index), so advancing
// the clock costs O(events log n), not O(n) per step.
// Not here: topology generators (sim/topology.h), measurements (sim/scenario.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dataplane/buffer_pool.h"
#include "node/node.h"
#include "transport/mem.h"

namespace fips::sim {

class SimNet;

// One simulated node: identity, in-memory transport, the real Node.
class SimNode : public TransportSink, public LinkIo {
 public:
  SimNode(SimNet& net, size_t index, Identity id, const NodeOptions& opts, uint64_t seed);
  ~SimNode() override;

  Node& node() { return *node_; }
  const Node& node() const { return *node_; }
  const Identity& identity() const { return id_; }
  const TransportAddr& addr() const { return transport_->address(); }
  size_t index() const { return index_; }
  bool alive() const { return alive_; }

  // TransportSink
  void on_packet(TransportId tid, const TransportAddr& from, PacketBuf&& pkt) override;
  void on_burst_end() override {}
  // LinkIo
  PacketBuf alloc() override;
  bool send(TransportId, const TransportAddr& to, PacketBuf&& pkt) override;
  uint16_t mtu(TransportId, const TransportAddr&) const override { return mtu_; }
  bool accepts_inbound(TransportId) const override { return true; }
  void close_connection(TransportId, const TransportAddr&) override {}
  uint64_t wall_ms() const override;

  uint64_t bytes_sent = 0, packets_sent = 0;

 private:
  friend class SimNet;
  SimNet& net_;
  size_t index_;
  Identity id_;
  NodeOptions opts_;
  std::unique_ptr<MemTransport> transport_;
  std::unique_ptr<Node> node_;
  uint16_t mtu_;
  bool alive_ = true;
  uint64_t tick_phase_ms_ = 0;
  uint64_t next_tick_ms_ = 0;
};

struct SimOptions {
  uint64_t seed = 1;
  size_t pool_buffers = 1 << 16;   // shared by every node (one thread)
  size_t max_in_flight = 1 << 16;  // MemNetwork queue bound
  size_t buffer_size = 2048;
  NodeOptions node;    // applied to every node
  MemLinkParams link;  // default link behaviour (latency, loss)
  // Transport MTU of every node (the UDP default). The link layer refuses
  // frames above it, so it bounds TreeAnnounce size, i.e. tree depth.
  uint16_t mtu = 1280;
};

class SimNet {
 public:
  explicit SimNet(const SimOptions& opts);
  ~SimNet();

  // Adds a node (identity derived from the seed and index: deterministic).
  size_t add_node();
  // The same with other protocol options than SimOptions::node (one node of
  // a different configuration, e.g. a peer that sends no MMP reports).
  size_t add_node(const NodeOptions& node_opts);
  size_t size() const { return nodes_.size(); }
  SimNode& at(size_t i) { return *nodes_[i]; }
  Node& node(size_t i) { return nodes_[i]->node(); }

  // Connects i and j: the smaller index dials the other (configured peer with
  // auto-reconnect), the link carries traffic both ways with `params`.
  void connect(size_t i, size_t j);
  void connect(size_t i, size_t j, const MemLinkParams& params);
  // Link failure / repair (packets both ways are lost while down; the link's
  // connect() parameters are kept).
  void set_link_up(size_t i, size_t j, bool up);
  [[nodiscard]] bool link_up(size_t i, size_t j) const;
  // The parameters i-j was connect()ed with (the default link if never).
  [[nodiscard]] const MemLinkParams& link_params(size_t i, size_t j) const;
  [[nodiscard]] size_t links_down() const { return down_.size(); }
  // Graph neighbours (every connect()ed node, whatever the link state).
  [[nodiscard]] const std::vector<size_t>& neighbours(size_t i) const { return adj_[i]; }
  // Node failure: stops ticking and receiving; revive() restarts it with a
  // fresh epoch (same identity), redialling its configured neighbours.
  void kill(size_t i);
  void revive(size_t i);

  // Advances the clock, delivering packets and ticking nodes (each every
  // tick_interval, at a per-node phase).
  void run_for(uint64_t ms);
  void run_until(uint64_t t_ms);
  // Runs until pred() holds (checked every check_ms) or the deadline passes.
  bool run_until(const std::function<bool()>& pred, uint64_t max_ms, uint64_t check_ms = 100);
  uint64_t now() const { return now_; }

  MemNetwork& network() { return net_; }
  BufferPool& pool() { return pool_; }
  const SimOptions& options() const { return opts_; }
  const std::vector<std::pair<size_t, size_t>>& edges() const { return edges_; }

 private:
  friend class SimNode;
  void tick_due();
  void dial(size_t i, size_t j);
  void schedule(size_t i);
  uint64_t next_tick();  // earliest live tick (drops stale heap entries)
  static uint64_t link_key(size_t i, size_t j) {
    if (i > j) std::swap(i, j);
    return (static_cast<uint64_t>(i) << 32) | j;
  }

  SimOptions opts_;
  BufferPool pool_;
  MemNetwork net_;
  uint64_t now_ = 1'000'000;  // arbitrary non-zero start
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<std::pair<size_t, size_t>> edges_;
  std::vector<std::vector<size_t>> adj_;
  std::unordered_set<uint64_t> down_;
  std::unordered_map<uint64_t, MemLinkParams> params_;  // per connect()ed link
  // Min-heap of (due, index); entries whose due no longer matches the node's
  // next_tick_ms_ (or whose node is dead) are stale and skipped.
  std::vector<std::pair<uint64_t, size_t>> ticks_;
};

}  // namespace fips::sim
