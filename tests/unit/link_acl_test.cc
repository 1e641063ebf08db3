// The peer ACL in the FMP link layer (docs/spec/peer-acl.md §4): a denied
// dialler's msg1 gets no msg2 and leaves nothing behind; a denied peer is
// not dialled, nor a linked one at a new address; a msg2 from a peer denied
// since the dial makes no link; an allowlisted peer links through ALL in
// peers.deny; a newly denied peer keeps its live link (as the reference) but
// never gets a new one.
#include "link_harness.h"
#include "node/peer_acl.h"

namespace fips {
namespace {

using test::LinkNet;
using test::LinkNode;

uint64_t drops(LinkNode& n, LinkDrop d) { return n.link->counters().get(d); }

PeerAcl acl_of(const std::string& allow, const std::string& deny) {
  std::vector<std::string> w;
  PeerAcl acl;
  acl.add_list(allow, true, {}, "peers.allow", w);
  acl.add_list(deny, false, {}, "peers.deny", w);
  return acl;
}

// Packets a node sent, by counting what leaves its address.
struct SentFrom {
  explicit SentFrom(LinkNet& net, const LinkNode& n) {
    net.hook = [this, addr = n.addr](const TransportAddr& from, const TransportAddr&, PacketBuf&) {
      if (from == addr) ++count;
      return true;
    };
  }
  uint64_t count = 0;
};

TEST(LinkAcl, DeniedDiallerGetsNoMsg2AndIsCounted) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  const PeerAcl acl = acl_of("", a.id.npub() + "\n");
  b.link->set_peer_acl(&acl);
  SentFrom from_b(net, b);
  net.connect(a, b);
  net.run_for(10'000);  // msg1 and its resends at 1, 3 and 7 s
  EXPECT_FALSE(net.linked(a, b));
  EXPECT_EQ(from_b.count, 0u) << "a denied msg1 must get no msg2";
  EXPECT_EQ(b.link->peer_count(), 0u);
  EXPECT_EQ(b.link->pending_count(), 0u);
  EXPECT_TRUE(b.ups.empty());
  EXPECT_EQ(drops(b, LinkDrop::kAclDenied), 4u);  // every msg1 that arrived
  EXPECT_EQ(b.link->counters().handshakes_completed, 0u);
}

// A (in B's peers.allow) and C (unlisted) dial B, whose peers.deny is `deny`.
struct AllowlistOutcome {
  bool a_linked, c_linked;
  uint64_t denied;
};
AllowlistOutcome dial_allowlisting_b(const std::string& deny) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  LinkNode& c = net.add();
  const PeerAcl acl = acl_of(a.id.npub() + "\n", deny);
  b.link->set_peer_acl(&acl);
  net.connect(a, b);
  net.connect(c, b);
  net.run_for(3'000);
  return {net.linked(a, b), net.linked(c, b), drops(b, LinkDrop::kAclDenied)};
}

TEST(LinkAcl, AllowlistAloneDeniesNobodyAndAllInDenyMakesItStrict) {
  const AllowlistOutcome open = dial_allowlisting_b("");
  EXPECT_TRUE(open.a_linked);
  EXPECT_TRUE(open.c_linked);
  EXPECT_EQ(open.denied, 0u);
  const AllowlistOutcome strict = dial_allowlisting_b("ALL\n");
  EXPECT_TRUE(strict.a_linked);
  EXPECT_FALSE(strict.c_linked);
  EXPECT_GE(strict.denied, 1u);
}

TEST(LinkAcl, DeniedPeerIsNotDialledUntilTheAclAllowsIt) {
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  PeerAcl acl = acl_of("", b.id.npub() + "\n");
  a.link->set_peer_acl(&acl);
  SentFrom from_a(net, a);
  EXPECT_EQ(a.link->dial(b.id.as_peer(), DialTarget{1, b.addr}, net.now),
            LinkLayer::DialResult::kDenied);
  net.connect(a, b);  // a configured peer: retried on backoff
  net.run_for(20'000);
  EXPECT_EQ(from_a.count, 0u);
  EXPECT_FALSE(net.linked(a, b));
  EXPECT_GE(drops(a, LinkDrop::kAclDialRefused), 2u);  // the connect, the first round, retries
  // The operator removes the entry: the next retry dials and links.
  acl = acl_of("", "");
  net.run_for(60'000);
  EXPECT_TRUE(net.linked(a, b));
}

// connect to a linked peer the ACL now denies: the reference dials the new
// address like a new peer and refuses; a fresh path is a no-op either way.
TEST(LinkAcl, ConnectToALinkedDeniedPeerIsRefusedUnlessThePathIsFresh) {
  PeerAcl acl;
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  a.link->set_peer_acl(&acl);
  net.connect(a, b);
  net.run_for(1'000);
  ASSERT_TRUE(net.linked(a, b));
  acl = acl_of("", b.id.npub() + "\n");
  EXPECT_EQ(a.link->dial(b.id.as_peer(), DialTarget{1, b.addr}, net.now),
            LinkLayer::DialResult::kAlreadyConnected);
  EXPECT_EQ(a.link->dial(b.id.as_peer(), DialTarget{1, TransportAddr::synthetic(99)}, net.now),
            LinkLayer::DialResult::kDenied);
  EXPECT_EQ(drops(a, LinkDrop::kAclDialRefused), 1u);
  net.run_for(1'000);
  EXPECT_TRUE(net.linked(a, b));
}

TEST(LinkAcl, Msg2FromAPeerDeniedSinceTheDialMakesNoLink) {
  LinkNet net;
  net.latency_ms = 10;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
  PeerAcl acl;  // empty: the dial goes out
  a.link->set_peer_acl(&acl);
  net.connect(a, b);
  net.run_for(15, 1);  // b has answered; its msg2 is on the wire
  ASSERT_EQ(b.link->peer_count(), 1u);
  acl = acl_of("", b.id.npub() + "\n");
  const uint64_t closes = a.closes;
  net.run_for(100, 1);
  EXPECT_EQ(a.link->peer_count(), 0u);
  EXPECT_EQ(a.link->pending_count(), 0u);
  EXPECT_EQ(drops(a, LinkDrop::kAclDenied), 1u);
  EXPECT_EQ(a.closes, closes + 1);  // the leg's connection is closed
  // b believes it is linked; hearing nothing, it drops the link at its dead
  // timeout. a's retries are refused before dialling.
  net.run_for(40'000);
  EXPECT_EQ(b.link->peer_count(), 0u);
  EXPECT_EQ(a.link->peer_count(), 0u);
  EXPECT_GE(drops(a, LinkDrop::kAclDialRefused), 1u);
}

// A linked to B; then B's ACL denies A.
class LinkAclDeniedAfterLinking : public ::testing::Test {
 protected:
  void SetUp() override {
    b.link->set_peer_acl(&acl);
    net.connect(a, b);
    net.run_for(1'000);
    ASSERT_TRUE(net.linked(a, b));
    acl = acl_of("", a.id.npub() + "\n");
  }
  PeerAcl acl;  // outlives the link layers that point at it
  LinkNet net;
  LinkNode& a = net.add();
  LinkNode& b = net.add();
};

TEST_F(LinkAclDeniedAfterLinking, TheLinkStaysButNoNewOneIsMade) {
  net.run_for(45'000);  // past the dead timeout: heartbeats keep it up
  EXPECT_TRUE(net.linked(a, b)) << "a reload does not disconnect linked peers (reference)";
  EXPECT_EQ(drops(b, LinkDrop::kAclDenied), 0u);
  // The link ends; a redials (configured peer) and is refused from now on.
  ASSERT_TRUE(b.link->disconnect(a.id.node_addr(), fmp::DisconnectReason::kConfigurationChange, net.now));
  net.run_for(60'000);
  EXPECT_FALSE(net.linked(a, b));
  EXPECT_GE(drops(b, LinkDrop::kAclDenied), 1u);
  EXPECT_EQ(b.link->peer_count(), 0u);
}

TEST_F(LinkAclDeniedAfterLinking, ARestartLeavesTheOldLinkToItsDeadTimeout) {
  a.restart(99);  // new epoch, same key, old keys gone
  net.connect(a, b);
  net.run_for(2'000);
  EXPECT_GE(drops(b, LinkDrop::kAclDenied), 1u);
  EXPECT_NE(b.link->find_peer(a.id.node_addr()), nullptr);  // not torn down by a msg1
  net.run_for(35'000);
  EXPECT_EQ(b.link->find_peer(a.id.node_addr()), nullptr);
  EXPECT_EQ(a.link->peer_count(), 0u);
}

}  // namespace
}  // namespace fips

namespace fips {
namespace {

// Issue 15 (2): a peer named in peers.allow finds a slot at max_peers as a
// configured one does: the unlisted peer with the oldest useful traffic gives
// way, even one that spoke (an unlisted newcomer would have to wait).
TEST(LinkAcl, AllowListedPeerTakesAStrangersSlotAtMaxPeers) {
  LinkConfig cfg;
  cfg.max_peers = 1;
  LinkNet net;
  LinkNode& hub = net.add(cfg);
  LinkNode& s = net.add();
  LinkNode& friend_node = net.add();
  const PeerAcl acl = acl_of(friend_node.id.npub() + "\n", "");
  hub.link->set_peer_acl(&acl);
  net.connect(s, hub);
  net.run_for(100);
  ASSERT_TRUE(s.send_seq(hub.id.node_addr(), 1));  // proven and useful
  net.run_for(100);
  net.connect(friend_node, hub);
  net.run_for(200);
  EXPECT_TRUE(net.linked(friend_node, hub));
  EXPECT_FALSE(hub.link->find_peer(s.id.node_addr()));
  EXPECT_EQ(hub.link->counters().strangers_evicted, 1u);
}

}  // namespace
}  // namespace fips
