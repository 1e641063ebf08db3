// IPv6 adapter core (docs/spec/fsp-ipv6.md): the TUN-side decision table (§14, §9.4), the mesh-side
// delivery (§15, §16.4) and a round trip between two adapters.
#include <gtest/gtest.h>

#include <map>

#include "identity/identity.h"
#include "ipv6/adapter.h"
#include "ipv6/shim.h"
#include "ipv6_test_util.h"

namespace fips::ipv6 {
namespace {

using namespace test6;

A16 a16(const FipsAddress& f) {
  return f.bytes;
}

struct FakeHost : AdapterHost {
  std::map<IdentityPrefix, PeerIdentity> ids;
  std::map<NodeAddr, SessionInfo> sessions;
  std::map<A16, uint16_t> path_mtus;
  int lookups = 0;

  void add(const PeerIdentity& p) { ids.emplace(identity_prefix(p.node_addr()), p); }
  const PeerIdentity* identity_by_prefix(const IdentityPrefix& prefix, uint64_t) override {
    ++lookups;
    auto it = ids.find(prefix);
    return it == ids.end() ? nullptr : &it->second;
  }
  SessionInfo session(const NodeAddr& d) override {
    auto it = sessions.find(d);
    return it == sessions.end() ? SessionInfo{} : it->second;
  }
  std::optional<uint16_t> path_mtu(std::span<const uint8_t, 16> a) override {
    A16 k;
    std::copy(a.begin(), a.end(), k.begin());
    auto it = path_mtus.find(k);
    if (it == path_mtus.end()) return std::nullopt;
    return it->second;
  }
};

class Ipv6AdapterTest : public ::testing::Test {
 protected:
  Ipv6AdapterTest()
      : me(Identity::generate()),
        peer(Identity::generate().as_peer()),
        pool(32, 2048, 128),
        adapter(AdapterConfig{me.address(), 1280, 0, 64, 1}, host) {
    host.add(peer);
  }
  // Every test: each TUN packet landed in exactly one outcome counter.
  void TearDown() override {
    EXPECT_EQ(adapter.counters().tun_outcomes(), adapter.counters().tun_packets);
  }

  PacketBuf buf(const Bytes& b, size_t headroom = 128) {
    PacketBuf p = pool.acquire();
    EXPECT_TRUE(p.set(headroom, b.size()));
    std::copy(b.begin(), b.end(), p.data());
    return p;
  }
  static Bytes bytes(const PacketBuf& p) { return Bytes(p.data(), p.data() + p.size()); }
  const A16& my_addr() const { return my_addr_; }
  const A16& peer_addr() const { return peer_addr_; }
  void established(uint16_t path_mtu = 0) {
    host.sessions[peer.node_addr()] = {AdapterHost::SessionState::kEstablished, path_mtu};
  }

  Identity me;
  PeerIdentity peer;
  FakeHost host;
  BufferPool pool;
  Ipv6Adapter adapter;
  A16 my_addr_ = me.address().bytes;
  A16 peer_addr_ = a16(peer.address());
};

TEST_F(Ipv6AdapterTest, NotIpv6IsDroppedSilently) {
  Bytes v4 = udp(my_addr(), peer_addr(), {1, 2});
  v4[0] = 0x45;
  for (const Bytes& b : {v4, Bytes(39, 0x60), Bytes{}}) {
    TunDecision d = adapter.on_tun_packet(buf(b), 0);
    EXPECT_EQ(d.action, TunAction::kDrop);
    EXPECT_EQ(d.drop, TunDrop::kNotIpv6);
    EXPECT_FALSE(d.pkt.valid());
  }
  EXPECT_EQ(adapter.counters().not_ipv6, 3u);
  EXPECT_EQ(pool.available(), pool.total());
  EXPECT_EQ(host.lookups, 0);
}

TEST_F(Ipv6AdapterTest, NonFipsDestinationGetsDestinationUnreachable) {
  const Bytes orig = udp(my_addr(), addr("2001:db8::5"), {1, 2, 3});
  TunDecision d = adapter.on_tun_packet(buf(orig), 0);
  ASSERT_EQ(d.action, TunAction::kReply);
  const Bytes r = bytes(d.pkt);
  ASSERT_EQ(r.size(), 48 + orig.size());
  EXPECT_EQ(r[6], 58);
  EXPECT_EQ(r[40], 1);  // DU
  EXPECT_EQ(r[41], 0);  // no route
  EXPECT_EQ(Bytes(r.begin() + 8, r.begin() + 24), Bytes(my_addr().begin(), my_addr().end()));
  EXPECT_EQ(Bytes(r.begin() + 24, r.begin() + 40), Bytes(my_addr().begin(), my_addr().end()));
  EXPECT_EQ(Bytes(r.begin() + 48, r.end()), orig);
  EXPECT_TRUE(checksum_ok(r));
  EXPECT_EQ(host.lookups, 0);

  // Router solicitation to ff02::2 (multicast): nothing at all.
  TunDecision m = adapter.on_tun_packet(
      buf(make_ip6(addr("fe80::1"), addr("ff02::2"), 58, {133, 0, 0, 0, 0, 0, 0, 0})), 0);
  EXPECT_EQ(m.action, TunAction::kDrop);
  EXPECT_EQ(m.drop, TunDrop::kNotForMesh);
  EXPECT_EQ(adapter.counters().not_for_mesh, 2u);
  EXPECT_EQ(adapter.counters().du_sent, 1u);
}

TEST_F(Ipv6AdapterTest, OwnAddressIsHairpinnedWithFreshChecksum) {
  Bytes p = udp(my_addr(), my_addr(), {4, 5, 6});
  p[46] ^= 0xFF;  // as if the checksum had been left to offload
  TunDecision d = adapter.on_tun_packet(buf(p), 0);
  ASSERT_EQ(d.action, TunAction::kReply);
  EXPECT_TRUE(checksum_ok(bytes(d.pkt)));
  EXPECT_EQ(adapter.counters().hairpin, 1u);
}

TEST_F(Ipv6AdapterTest, IdentityMissGetsDestinationUnreachable) {
  const Bytes orig = udp(my_addr(), addr("fd99::1"), {1});
  TunDecision d = adapter.on_tun_packet(buf(orig), 0);
  ASSERT_EQ(d.action, TunAction::kReply);
  EXPECT_EQ(bytes(d.pkt)[40], 1);
  EXPECT_EQ(adapter.counters().identity_miss, 1u);
  // Not rate limited: the same again answers again.
  EXPECT_EQ(adapter.on_tun_packet(buf(orig), 1).action, TunAction::kReply);
  // From :: nothing is answered.
  TunDecision s = adapter.on_tun_packet(buf(udp(addr("::"), addr("fd99::1"), {1})), 2);
  EXPECT_EQ(s.action, TunAction::kDrop);
  EXPECT_EQ(s.drop, TunDrop::kNoIdentity);
}

TEST_F(Ipv6AdapterTest, NoSessionQueuesAndAsksToInitiate) {
  const Bytes orig = udp(my_addr(), peer_addr(), {7, 7, 7});
  TunDecision d = adapter.on_tun_packet(buf(orig), 0);
  ASSERT_EQ(d.action, TunAction::kQueue);
  EXPECT_TRUE(d.initiate);
  ASSERT_TRUE(d.identity.has_value());
  EXPECT_EQ(d.identity->node_addr(), peer.node_addr());
  EXPECT_EQ(d.dest, peer.node_addr());
  EXPECT_EQ(bytes(d.pkt), orig);  // raw packet
  EXPECT_EQ(d.pkt.headroom(), 128u);

  host.sessions[peer.node_addr()] = {AdapterHost::SessionState::kHandshaking, 0};
  TunDecision h = adapter.on_tun_packet(buf(orig), 0);
  ASSERT_EQ(h.action, TunAction::kQueue);
  EXPECT_FALSE(h.initiate);
  EXPECT_FALSE(h.identity.has_value());

  // A queued packet flushed later is compressed without MTU checks.
  ASSERT_TRUE(adapter.compress_for_send(h.pkt));
  auto v = parse(h.pkt.span());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(Bytes(v->upper_payload.begin(), v->upper_payload.end()),
            Bytes(orig.begin() + 40, orig.end()));
}

TEST_F(Ipv6AdapterTest, EstablishedSendsTheShimCompressedInPlace) {
  established();
  const Bytes orig = udp(my_addr(), peer_addr(), {1, 2, 3, 4}, 1, 2, /*tc=*/0xB8);
  TunDecision d = adapter.on_tun_packet(buf(orig), 0);
  ASSERT_EQ(d.action, TunAction::kSend);
  EXPECT_EQ(d.dest, peer.node_addr());
  EXPECT_EQ(d.pkt.size(), orig.size() - 33);
  EXPECT_EQ(d.pkt.headroom(), 128u + 33u);  // the payload did not move
  auto v = parse(d.pkt.span());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->residual.traffic_class, 0xB8);
  EXPECT_EQ(v->residual.next_header, 17);
  EXPECT_EQ(v->residual.hop_limit, 64);
  EXPECT_EQ(adapter.counters().sent, 1u);
}

TEST_F(Ipv6AdapterTest, OversizeGetsPacketTooBigFromTheDestinationRateLimited) {
  established();
  const Bytes big = udp(my_addr(), peer_addr(), Bytes(1204 - 48, 0x11));
  ASSERT_EQ(big.size(), 1204u);
  TunDecision d = adapter.on_tun_packet(buf(big), 1000);
  ASSERT_EQ(d.action, TunAction::kReply);
  const Bytes r = bytes(d.pkt);
  EXPECT_EQ(r.size(), 48u + 1204u);
  EXPECT_EQ(r[40], 2);
  EXPECT_EQ((r[44] << 24) | (r[45] << 16) | (r[46] << 8) | r[47], 1203);
  EXPECT_EQ(Bytes(r.begin() + 8, r.begin() + 24), Bytes(peer_addr().begin(), peer_addr().end()));
  EXPECT_EQ(Bytes(r.begin() + 24, r.begin() + 40), Bytes(my_addr().begin(), my_addr().end()));
  EXPECT_TRUE(checksum_ok(r));
  EXPECT_EQ(host.lookups, 0);  // checked before the identity cache

  TunDecision again = adapter.on_tun_packet(buf(big), 1099);
  EXPECT_EQ(again.drop, TunDrop::kPtbRateLimited);
  EXPECT_EQ(adapter.on_tun_packet(buf(big), 1100).action, TunAction::kReply);
  // 1203 bytes fit.
  EXPECT_EQ(
      adapter.on_tun_packet(buf(udp(my_addr(), peer_addr(), Bytes(1203 - 48, 1))), 1100).action,
      TunAction::kSend);

  // Too big to quote whole: the reply is capped at 1280 bytes.
  Ipv6Adapter jumbo(AdapterConfig{me.address(), 1280, 0, 64, 1}, host);
  TunDecision j = jumbo.on_tun_packet(buf(udp(my_addr(), peer_addr(), Bytes(1500 - 48, 2))), 0);
  ASSERT_EQ(j.action, TunAction::kReply);
  EXPECT_EQ(j.pkt.size(), 1280u);

  // An oversize ICMPv6 error is never answered.
  Bytes icmp_err = make_ip6(my_addr(), peer_addr(), 58, Bytes(1300, 0));
  icmp_err[40] = 1;
  TunDecision e = adapter.on_tun_packet(buf(icmp_err), 5000);
  EXPECT_EQ(e.drop, TunDrop::kPtbRefused);
  EXPECT_EQ(adapter.counters().ptb_refused, 1u);
}

TEST_F(Ipv6AdapterTest, TransportMtuFollowsTheNode) {
  established();
  adapter.set_transport_mtu(1500);
  EXPECT_EQ(adapter.effective_mtu(), 1423);
  EXPECT_EQ(adapter.global_max_mss(), 1143);  // fixed at TUN start
  EXPECT_EQ(adapter.on_tun_packet(buf(udp(my_addr(), peer_addr(), Bytes(1400 - 48, 1))), 0).action,
            TunAction::kSend);
}

TEST_F(Ipv6AdapterTest, PerDestinationPathMtu) {
  established(1000);  // path IPv6 MTU 923
  TunDecision d = adapter.on_tun_packet(buf(udp(my_addr(), peer_addr(), Bytes(924 - 48, 1))), 0);
  ASSERT_EQ(d.action, TunAction::kReply);
  const Bytes r = bytes(d.pkt);
  EXPECT_EQ((r[46] << 8) | r[47], 923);
  EXPECT_EQ(adapter.counters().ptb_path, 1u);
  EXPECT_EQ(adapter.on_tun_packet(buf(udp(my_addr(), peer_addr(), Bytes(923 - 48, 1))), 500).action,
            TunAction::kSend);
  // A path at least as large as the global limit adds nothing.
  established(2000);
  EXPECT_EQ(
      adapter.on_tun_packet(buf(udp(my_addr(), peer_addr(), Bytes(1203 - 48, 1))), 1000).action,
      TunAction::kSend);
  // Not established: no per-destination check (the queue flush does none either).
  host.sessions[peer.node_addr()] = {AdapterHost::SessionState::kHandshaking, 1000};
  EXPECT_EQ(adapter.on_tun_packet(buf(udp(my_addr(), peer_addr(), Bytes(1100, 1))), 2000).action,
            TunAction::kQueue);
}

TEST_F(Ipv6AdapterTest, OutboundSynIsClampedPerDestination) {
  established();
  TunDecision d = adapter.on_tun_packet(buf(tcp(my_addr(), peer_addr(), kSyn, mss_opt(1440))), 0);
  ASSERT_EQ(d.action, TunAction::kSend);
  // shim: 7-byte header then the TCP segment; MSS value at segment offset 22.
  EXPECT_EQ(be16_at(bytes(d.pkt), 7 + 22), 1143);
  host.path_mtus[peer_addr()] = 1200;  // learned smaller path: 1200 - 137 = 1063
  TunDecision q = adapter.on_tun_packet(buf(tcp(my_addr(), peer_addr(), kSyn, mss_opt(1440))), 0);
  EXPECT_EQ(be16_at(bytes(q.pkt), 7 + 22), 1063);
  EXPECT_EQ(adapter.counters().mss_clamped_out, 2u);
}

TEST_F(Ipv6AdapterTest, NoHeadroomForTheReplyIsACountedDrop) {
  TunDecision d = adapter.on_tun_packet(buf(udp(my_addr(), addr("2001:db8::1"), {1}), 47), 0);
  EXPECT_EQ(d.action, TunAction::kDrop);
  EXPECT_EQ(d.drop, TunDrop::kNoHeadroom);
  EXPECT_EQ(adapter.counters().no_headroom, 1u);
}

TEST_F(Ipv6AdapterTest, PayloadLengthMismatchIsNotSent) {
  established();
  Bytes p = udp(my_addr(), peer_addr(), {1, 2, 3});
  p.push_back(0);  // trailing byte the header does not count
  TunDecision d = adapter.on_tun_packet(buf(p), 0);
  EXPECT_EQ(d.drop, TunDrop::kBadPacket);
}

TEST_F(Ipv6AdapterTest, DestinationUnreachableForAQueuedPacket) {
  PacketBuf p = buf(udp(my_addr(), peer_addr(), {1}));
  ASSERT_TRUE(adapter.make_dest_unreachable(p));
  EXPECT_EQ(p.data()[40], 1);
  PacketBuf m = buf(udp(addr("ff02::1"), peer_addr(), {1}));
  EXPECT_FALSE(adapter.make_dest_unreachable(m));
}

TEST_F(Ipv6AdapterTest, MeshPacketIsDecompressedWithSessionAddresses) {
  // The shim as the peer would send it (its original addresses are lost).
  const Bytes orig = udp(addr("fd00::dead"), addr("fd00::beef"), {9, 9}, 7, 8, /*tc=*/0x02);
  Bytes shim(orig.size() - 33);
  ASSERT_TRUE(compress(orig, shim).ok());
  MeshDecision m = adapter.on_mesh_packet(peer.node_addr(), buf(shim, 64), false, 0);
  ASSERT_TRUE(m.deliver());
  const Bytes got = bytes(m.pkt);
  ASSERT_EQ(got.size(), orig.size());
  EXPECT_EQ(Bytes(got.begin() + 8, got.begin() + 24),
            Bytes(peer_addr().begin(), peer_addr().end()));
  EXPECT_EQ(Bytes(got.begin() + 24, got.begin() + 40), Bytes(my_addr().begin(), my_addr().end()));
  EXPECT_EQ(Bytes(got.begin() + 40, got.end()), Bytes(orig.begin() + 40, orig.end()));
  EXPECT_EQ(got[1] & 0x30, 0x20);  // ECT(0), no CE
  EXPECT_EQ(adapter.counters().ce_received, 0u);
}

TEST_F(Ipv6AdapterTest, CongestionExperiencedMarksOnlyEcnCapable) {
  for (uint8_t ecn : {0, 1, 2, 3}) {
    const Bytes orig =
        udp(addr("fd00::1"), addr("fd00::2"), {1}, 1, 2, static_cast<uint8_t>(0xA0 | ecn));
    Bytes shim(orig.size() - 33);
    ASSERT_TRUE(compress(orig, shim).ok());
    MeshDecision m = adapter.on_mesh_packet(peer.node_addr(), buf(shim), true, 0);
    ASSERT_TRUE(m.deliver());
    const uint8_t tc =
        static_cast<uint8_t>(((m.pkt.data()[0] & 0x0F) << 4) | (m.pkt.data()[1] >> 4));
    EXPECT_EQ(tc, ecn == 0 ? 0xA0 : 0xA3) << int{ecn};
  }
  EXPECT_EQ(adapter.counters().ce_received, 4u);
  EXPECT_EQ(adapter.counters().ce_marked, 3u);
}

TEST_F(Ipv6AdapterTest, InboundSynAckIsClampedBySource) {
  host.path_mtus[peer_addr()] = 1100;  // 963
  // Sent by the peer from its address to ours, so the rebuilt addresses are
  // the ones its checksum covers.
  const Bytes orig = tcp(peer_addr(), my_addr(), kSyn | kAck, mss_opt(1440));
  Bytes shim(orig.size() - 33);
  ASSERT_TRUE(compress(orig, shim).ok());
  MeshDecision m = adapter.on_mesh_packet(peer.node_addr(), buf(shim), false, 0);
  ASSERT_TRUE(m.deliver());
  const Bytes got = bytes(m.pkt);
  EXPECT_EQ(be16_at(got, 60 + 2), 963);
  EXPECT_TRUE(checksum_ok(got));
  EXPECT_EQ(adapter.counters().mss_clamped_in, 1u);
}

TEST_F(Ipv6AdapterTest, BadMeshPayloadsAreDropped) {
  MeshDecision a = adapter.on_mesh_packet(peer.node_addr(), buf({0, 0x60, 0, 0, 0, 17}), false, 0);
  EXPECT_EQ(a.drop, MeshDrop::kBadShim);  // < 7 bytes
  MeshDecision b =
      adapter.on_mesh_packet(peer.node_addr(), buf({1, 0x60, 0, 0, 0, 17, 64}), false, 0);
  EXPECT_EQ(b.drop, MeshDrop::kBadShim);  // format 1
  MeshDecision c =
      adapter.on_mesh_packet(peer.node_addr(), buf({0, 0x60, 0, 0, 0, 17, 64}, 32), false, 0);
  EXPECT_EQ(c.drop, MeshDrop::kNoHeadroom);
  EXPECT_FALSE(c.pkt.valid());
  EXPECT_EQ(pool.available(), pool.total());
}

TEST(Ipv6AdapterRoundTrip, TwoAdaptersCarryATcpSynEndToEnd) {
  Identity a_id = Identity::generate(), b_id = Identity::generate();
  FakeHost ha, hb;
  ha.add(b_id.as_peer());
  ha.sessions[b_id.node_addr()] = {AdapterHost::SessionState::kEstablished, 0};
  Ipv6Adapter a(AdapterConfig{a_id.address(), 1280, 0, 64, 1}, ha);
  Ipv6Adapter b(AdapterConfig{b_id.address(), 1280, 0, 64, 2}, hb);
  BufferPool pool(4, 2048, 128);
  const Bytes syn =
      tcp(a_id.address().bytes, b_id.address().bytes, kSyn, mss_opt(1220), Bytes(3, 1));
  PacketBuf p = pool.acquire();
  ASSERT_TRUE(p.set(128, syn.size()));
  std::copy(syn.begin(), syn.end(), p.data());
  TunDecision d = a.on_tun_packet(std::move(p), 0);
  ASSERT_EQ(d.action, TunAction::kSend);
  // The transport would prepend headers and strip them again: the shim
  // arrives at the same offset.
  MeshDecision m = b.on_mesh_packet(a_id.node_addr(), std::move(d.pkt), false, 0);
  ASSERT_TRUE(m.deliver());
  Bytes got(m.pkt.data(), m.pkt.data() + m.pkt.size());
  Bytes want = syn;
  want[60 + 2] = 1143 >> 8;
  want[60 + 3] = 1143 & 0xFF;
  fix_checksum(want, 16);
  EXPECT_EQ(got, want);
  EXPECT_TRUE(checksum_ok(got));
}

}  // namespace
}  // namespace fips::ipv6
