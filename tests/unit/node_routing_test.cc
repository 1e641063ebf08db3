// The integrated node (link + tree + bloom + lookup + forwarding) in the
// in-process simulator: convergence, discovery and multi-hop delivery.
#include "sim/sim_net.h"
#include "test_util.h"

namespace fips {
namespace {

using sim::SimNet;
using sim::SimOptions;

SimOptions opts(uint64_t seed = 1) {
  SimOptions o;
  o.seed = seed;
  o.pool_buffers = 1 << 14;
  o.link.latency_ms = 5;
  return o;
}

NodeAddr min_addr(SimNet& net) {
  NodeAddr m = net.node(0).identity().node_addr();
  for (size_t i = 1; i < net.size(); ++i) m = std::min(m, net.node(i).identity().node_addr());
  return m;
}

bool converged(SimNet& net) {
  const NodeAddr root = min_addr(net);
  for (size_t i = 0; i < net.size(); ++i)
    if (!(net.node(i).tree().root() == root)) return false;
  return true;
}

TEST(NodeRouting, LineOfThreeConvergesLooksUpAndDelivers) {
  SimNet net(opts());
  for (int i = 0; i < 3; ++i) net.add_node();
  net.connect(0, 1);
  net.connect(1, 2);
  ASSERT_TRUE(net.run_until([&] { return converged(net); }, 30'000));
  net.run_for(3'000);  // bloom filters settle
  Node& a = net.node(0);
  Node& c = net.node(2);
  EXPECT_EQ(a.link().peer_count(), 1u);  // A and C are not adjacent
  // A looks C up through B.
  std::optional<lookup::LookupEvent> found;
  a.set_lookup_done([&](const lookup::LookupEvent& e) { found = e; });
  auto r = a.start_lookup(c.identity().as_peer(), net.now());
  EXPECT_EQ(r.outcome, lookup::InitiateOutcome::kSent);
  ASSERT_TRUE(net.run_until([&] { return found.has_value(); }, 10'000));
  ASSERT_EQ(found->kind, lookup::LookupEvent::Kind::kFound);
  EXPECT_EQ(found->coords, c.tree().my_coords());
  // A datagram from A reaches C via B.
  std::vector<std::pair<NodeAddr, std::string>> got;
  c.set_deliver([&](const routing::SessionDatagram& dg, PacketBuf&&, uint64_t) {
    got.emplace_back(dg.src_addr, std::string(dg.payload.begin(), dg.payload.end()));
  });
  const std::string msg = "hello C";
  ASSERT_EQ(a.send_datagram(c.identity().node_addr(),
                            ByteSpan(reinterpret_cast<const uint8_t*>(msg.data()), msg.size()),
                            net.now()),
            Node::SendResult::kSent);
  net.run_for(100);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, a.identity().node_addr());
  EXPECT_EQ(got[0].second, msg);
  EXPECT_EQ(net.node(1).forwarding().forwarded_packets, 1u);
}

// CE relay (reference forwarding.rs: outgoing CE = incoming CE || congested):
// a datagram that reaches the transit node in a CE-marked frame leaves in
// one, and the destination's session hook is told; an unmarked one is not.
TEST(NodeRouting, CongestionExperiencedIsRelayedToTheDestination) {
  SimNet net(opts(5));
  for (int i = 0; i < 3; ++i) net.add_node();
  net.connect(0, 1);
  net.connect(1, 2);
  ASSERT_TRUE(net.run_until([&] { return converged(net); }, 30'000));
  net.run_for(3'000);
  Node& a = net.node(0);
  Node& b = net.node(1);
  Node& c = net.node(2);
  bool found = false;
  a.set_lookup_done([&](const lookup::LookupEvent& e) { found = e.kind == lookup::LookupEvent::Kind::kFound; });
  (void)a.start_lookup(c.identity().as_peer(), net.now());
  ASSERT_TRUE(net.run_until([&] { return found; }, 10'000));
  std::vector<bool> marks;
  c.set_session_deliver([&](const routing::SessionDatagram&, const NodeAddr&, PacketBuf&&, bool ce, uint64_t) {
    marks.push_back(ce);
  });
  Peer* to_b = a.link().find_peer(b.identity().node_addr());
  ASSERT_NE(to_b, nullptr);
  std::vector<uint8_t> dg(routing::kSessionDatagramHeaderSize + 3, 0x42);
  Writer w{MutByteSpan(dg.data(), routing::kSessionDatagramHeaderSize)};
  ASSERT_TRUE(routing::encode_session_datagram_header(w, 64, 1280, a.identity().node_addr(),
                                                      c.identity().node_addr())
                  .ok());
  ASSERT_TRUE(a.link().send_message_bytes(*to_b, ByteSpan(dg), net.now(), fmp::kFlagCE));
  ASSERT_TRUE(a.link().send_message_bytes(*to_b, ByteSpan(dg), net.now()));
  net.run_for(100);
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_TRUE(marks[0]);
  EXPECT_FALSE(marks[1]);
  EXPECT_EQ(b.counters().ce_forwarded, 1u);
  EXPECT_EQ(b.forwarding().forwarded_packets, 2u);
}

TEST(NodeRouting, RingReconvergesWhenTheRootLeaves) {
  SimNet net(opts(3));
  const size_t n = 12;
  for (size_t i = 0; i < n; ++i) net.add_node();
  for (size_t i = 0; i < n; ++i) net.connect(i, (i + 1) % n);
  ASSERT_TRUE(net.run_until([&] { return converged(net); }, 60'000));
  // Kill the root.
  const NodeAddr root = min_addr(net);
  size_t ri = 0;
  for (size_t i = 0; i < n; ++i)
    if (net.node(i).identity().node_addr() == root) ri = i;
  net.kill(ri);
  NodeAddr second{};
  second.bytes.fill(0xff);
  for (size_t i = 0; i < n; ++i)
    if (i != ri) second = std::min(second, net.node(i).identity().node_addr());
  auto all_agree = [&] {
    for (size_t i = 0; i < n; ++i)
      if (i != ri && !(net.node(i).tree().root() == second)) return false;
    return true;
  };
  ASSERT_TRUE(net.run_until(all_agree, 120'000)) << "no reconvergence after the root died";
}

}  // namespace
}  // namespace fips
