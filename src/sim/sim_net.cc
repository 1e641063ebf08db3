#include "sim/sim_net.h"

#include <algorithm>
#include <cstring>

#include "crypto/sha256.h"

namespace fips::sim {
namespace {

// Deterministic identity for (seed, index): SHA-256 until a valid scalar.
Identity make_identity(uint64_t seed, size_t index) {
  uint8_t in[16];
  store_u64le(in, seed);
  store_u64le(in + 8, index);
  Digest32 d = sha256(in);
  for (;;) {
    if (auto sk = SecretKey::from_bytes(d)) return Identity::from_secret(std::move(*sk));
    d = sha256(d);
  }
}

}  // namespace

SimNode::SimNode(SimNet& net, size_t index, Identity id, const NodeOptions& opts, uint64_t seed)
    : net_(net), index_(index), id_(std::move(id)), opts_(opts), mtu_(net.opts_.mtu) {
  transport_ = std::make_unique<MemTransport>(1, net.net_, index + 1, *this, mtu_);
  Epoch e;
  store_u64le(e.data(), seed ^ 0x5EED);
  node_ = std::make_unique<Node>(id_, e, opts_, *this, seed);
  tick_phase_ms_ = (index * 7919) % 1000;
  next_tick_ms_ = net.now_ + tick_phase_ms_;
}

SimNode::~SimNode() = default;

void SimNode::on_packet(TransportId tid, const TransportAddr& from, PacketBuf&& pkt) {
  if (!alive_) return;
  node_->on_packet(tid, from, std::move(pkt), net_.now_);
}

PacketBuf SimNode::alloc() {
  return net_.pool_.acquire();
}

bool SimNode::send(TransportId, const TransportAddr& to, PacketBuf&& pkt) {
  if (!alive_) return false;
  ++packets_sent;
  bytes_sent += pkt.size();
  return transport_->send(to, std::move(pkt));
}

uint64_t SimNode::wall_ms() const {
  return 1'700'000'000'000ULL + net_.now_;
}

SimNet::SimNet(const SimOptions& opts)
    : opts_(opts),
      pool_(opts.pool_buffers, opts.buffer_size, 128),
      net_(opts.seed, opts.max_in_flight) {
  net_.set_default_link(opts.link);
}

SimNet::~SimNet() {
  // Nodes first (they hold buffers from the pool and transports attached to
  // the network).
  nodes_.clear();
}

size_t SimNet::add_node() {
  return add_node(opts_.node);
}

size_t SimNet::add_node(const NodeOptions& node_opts) {
  const size_t i = nodes_.size();
  nodes_.push_back(std::make_unique<SimNode>(*this, i, make_identity(opts_.seed, i), node_opts,
                                             opts_.seed * 1000003ULL + i));
  adj_.emplace_back();
  schedule(i);
  return i;
}

void SimNet::dial(size_t i, size_t j) {
  SimNode& a = *nodes_[i];
  SimNode& b = *nodes_[j];
  a.node().link().add_static_peer(b.identity().as_peer(), {DialTarget{1, b.addr()}}, true, now_);
}

void SimNet::connect(size_t i, size_t j) {
  connect(i, j, opts_.link);
}

void SimNet::connect(size_t i, size_t j, const MemLinkParams& params) {
  if (i == j) return;
  if (i > j) std::swap(i, j);
  net_.set_link_both(nodes_[i]->addr(), nodes_[j]->addr(), params);
  edges_.emplace_back(i, j);
  params_[link_key(i, j)] = params;
  adj_[i].push_back(j);
  adj_[j].push_back(i);
  dial(i, j);
}

const MemLinkParams& SimNet::link_params(size_t i, size_t j) const {
  const auto it = params_.find(link_key(i, j));
  return it != params_.end() ? it->second : opts_.link;
}

void SimNet::set_link_up(size_t i, size_t j, bool up) {
  const auto it = params_.find(link_key(i, j));
  MemLinkParams p = it != params_.end() ? it->second : opts_.link;
  p.up = up;
  net_.set_link_both(nodes_[i]->addr(), nodes_[j]->addr(), p);
  if (up)
    down_.erase(link_key(i, j));
  else
    down_.insert(link_key(i, j));
}

bool SimNet::link_up(size_t i, size_t j) const {
  return !down_.count(link_key(i, j));
}

void SimNet::kill(size_t i) {
  SimNode& n = *nodes_[i];
  n.alive_ = false;
}

void SimNet::revive(size_t i) {
  SimNode& n = *nodes_[i];
  Epoch e;
  store_u64le(e.data(), opts_.seed ^ now_ ^ (i << 20));
  n.node_ = std::make_unique<Node>(n.id_, e, n.opts_, n, opts_.seed * 7 + now_ + i);
  n.alive_ = true;
  n.next_tick_ms_ = now_ + n.tick_phase_ms_ % 1000;
  schedule(i);
  for (size_t j : adj_[i])
    if (i < j) dial(i, j);
}

namespace {
struct TickLater {
  bool operator()(const std::pair<uint64_t, size_t>& a,
                  const std::pair<uint64_t, size_t>& b) const {
    return a > b;  // min-heap on (due, index): same-ms ticks run in index order
  }
};
}  // namespace

void SimNet::schedule(size_t i) {
  ticks_.emplace_back(nodes_[i]->next_tick_ms_, i);
  std::push_heap(ticks_.begin(), ticks_.end(), TickLater{});
}

uint64_t SimNet::next_tick() {
  while (!ticks_.empty()) {
    const auto [due, i] = ticks_.front();
    const SimNode& n = *nodes_[i];
    if (n.alive_ && n.next_tick_ms_ == due) return due;
    std::pop_heap(ticks_.begin(), ticks_.end(), TickLater{});  // stale entry
    ticks_.pop_back();
  }
  return UINT64_MAX;
}

void SimNet::tick_due() {
  while (next_tick() <= now_) {
    const size_t i = ticks_.front().second;
    std::pop_heap(ticks_.begin(), ticks_.end(), TickLater{});
    ticks_.pop_back();
    SimNode& n = *nodes_[i];
    n.node().tick(now_);
    n.next_tick_ms_ = now_ + 1000;
    schedule(i);
  }
}

void SimNet::run_until(uint64_t t) {
  while (now_ < t) {
    // Next event: a delivery or a node tick.
    uint64_t next = std::min<uint64_t>({t, net_.next_due(), next_tick()});
    if (next < now_) next = now_;
    now_ = next;
    // Packets sent while delivering (zero latency) wait for the next round;
    // time only stands still while something is due now.
    net_.deliver(now_);
    tick_due();
  }
}

void SimNet::run_for(uint64_t ms) {
  run_until(now_ + ms);
}

bool SimNet::run_until(const std::function<bool()>& pred, uint64_t max_ms, uint64_t check_ms) {
  const uint64_t end = now_ + max_ms;
  while (now_ < end) {
    if (pred()) return true;
    run_until(std::min(end, now_ + check_ms));
  }
  return pred();
}

}  // namespace fips::sim
