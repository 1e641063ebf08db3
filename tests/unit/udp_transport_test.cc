// UDP transport on loopback: v4/v6 round trips, dual-stack canonicalisation,
// batching, MTU refusal, punch-magic drop, truncation, pool exhaustion, the
// EAGAIN backlog and start-up errors; kernel receive-queue drops
// (SO_RXQ_OVFL) counted as kernel_drops. Ephemeral ports, bounded loops.
#include "transport/udp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <set>

#include "transport/sockopt.h"
#include "transport_test_util.h"

namespace fips {
namespace {

using test::make_pkt;
using test::pump_for;
using test::pump_until;
using test::RecordingSink;

UdpTransportConfig cfg_at(const std::string& bind, uint16_t mtu = 1280) {
  UdpTransportConfig c;
  c.bind_addr = bind;
  c.mtu = mtu;
  return c;
}

bool have_ipv6_loopback() {
  UniqueFd s = sock::open(AF_INET6, SOCK_DGRAM);
  if (!s) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  return ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

// Loopback address with the transport's bound port.
TransportAddr loop_v4(const UdpTransport& t) {
  return *TransportAddr::parse("127.0.0.1:" + std::to_string(t.bound().port()));
}

struct Pair {
  EventLoop loop;
  BufferPool pool{256, 2048, 64};
  RecordingSink sa, sb;
  UdpTransport a, b;
  Pair(const std::string& bind_a, const std::string& bind_b, uint16_t mtu = 1280)
      : a(1, cfg_at(bind_a, mtu), loop, pool, sa), b(2, cfg_at(bind_b, mtu), loop, pool, sb) {
    auto ra = a.start();
    EXPECT_TRUE(ra.ok()) << (ra.ok() ? "" : ra.error());
    auto rb = b.start();
    EXPECT_TRUE(rb.ok()) << (rb.ok() ? "" : rb.error());
  }
};

TEST(UdpTransport, V4RoundTrip) {
  Pair p("127.0.0.1:0", "127.0.0.1:0");
  ASSERT_EQ(p.a.state(), TransportState::kUp);
  EXPECT_NE(p.a.bound().port(), 0);
  EXPECT_EQ(p.a.local_addr(), "127.0.0.1:" + std::to_string(p.a.bound().port()));
  std::vector<uint8_t> msg = {1, 2, 3, 4, 5};
  ASSERT_TRUE(p.a.send(p.b.bound(), make_pkt(p.pool, msg)));
  p.a.flush();
  ASSERT_TRUE(pump_until(p.loop, [&] { return p.sb.packets.size() == 1; }));
  EXPECT_EQ(p.sb.packets[0].data, msg);
  EXPECT_EQ(p.sb.packets[0].tid, 2u);
  EXPECT_EQ(p.sb.packets[0].from, p.a.bound());
  EXPECT_EQ(p.sb.packets[0].headroom, p.pool.default_headroom());  // room to prepend
  EXPECT_GE(p.sb.bursts, 1u);
  // Reply to the observed source.
  ASSERT_TRUE(p.b.send(p.sb.packets[0].from, make_pkt(p.pool, {9, 9})));
  p.b.flush();
  ASSERT_TRUE(pump_until(p.loop, [&] { return p.sa.packets.size() == 1; }));
  EXPECT_EQ(p.sa.packets[0].data, (std::vector<uint8_t>{9, 9}));
  EXPECT_EQ(p.a.stats().packets_sent, 1u);
  EXPECT_EQ(p.a.stats().bytes_sent, 5u);
  EXPECT_EQ(p.b.stats().packets_recv, 1u);
  EXPECT_EQ(p.b.stats().bytes_recv, 5u);
  EXPECT_EQ(p.pool.available(), p.pool.total());  // nothing leaked
}

TEST(UdpTransport, V6RoundTrip) {
  if (!have_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback here";
  Pair p("[::1]:0", "[::1]:0");
  ASSERT_TRUE(p.a.is_v6_socket());
  ASSERT_TRUE(p.a.send(p.b.bound(), make_pkt(p.pool, {7, 7, 7})));
  p.a.flush();
  ASSERT_TRUE(pump_until(p.loop, [&] { return p.sb.packets.size() == 1; }));
  EXPECT_TRUE(p.sb.packets[0].from.is_v6());
  EXPECT_EQ(p.sb.packets[0].from, p.a.bound());
  EXPECT_EQ(p.a.local_addr(), "[::1]:" + std::to_string(p.a.bound().port()));
}

TEST(UdpTransport, DualStackCanonicalisesMappedV4) {
  if (!have_ipv6_loopback()) GTEST_SKIP() << "no IPv6 here";
  Pair p("127.0.0.1:0", "[::]:0");
  ASSERT_TRUE(p.b.is_v6_socket());
  // v4 sender to the dual-stack socket: the source shows up as plain IPv4.
  ASSERT_TRUE(p.a.send(loop_v4(p.b), make_pkt(p.pool, {1})));
  p.a.flush();
  ASSERT_TRUE(pump_until(p.loop, [&] { return p.sb.packets.size() == 1; }));
  const TransportAddr from = p.sb.packets[0].from;
  EXPECT_TRUE(from.is_v4());
  EXPECT_EQ(from, p.a.bound());
  EXPECT_EQ(from.str(), "127.0.0.1:" + std::to_string(p.a.bound().port()));
  // And the dual-stack socket can answer a v4 address (sent IPv4-mapped).
  ASSERT_TRUE(p.b.send(from, make_pkt(p.pool, {2})));
  p.b.flush();
  ASSERT_TRUE(pump_until(p.loop, [&] { return p.sa.packets.size() == 1; }));
  EXPECT_EQ(p.b.stats().send_errors, 0u);
}

TEST(UdpTransport, V6DestinationFromV4SocketIsCounted) {
  Pair p("127.0.0.1:0", "127.0.0.1:0");
  EXPECT_FALSE(p.a.send(*TransportAddr::parse("[::1]:9"), make_pkt(p.pool, {1})));
  EXPECT_FALSE(p.a.send(TransportAddr::synthetic(3), make_pkt(p.pool, {1})));
  EXPECT_EQ(p.a.stats().send_errors, 2u);
  EXPECT_EQ(p.a.queued(), 0u);
  EXPECT_EQ(p.pool.available(), p.pool.total());
}

TEST(UdpTransport, ThousandDatagramsAllDeliveredOrCounted) {
  EventLoop loop;
  BufferPool pool(2048, 2048, 64);
  RecordingSink sa, sb;
  UdpTransport a(1, cfg_at("127.0.0.1:0"), loop, pool, sa);
  UdpTransport b(2, cfg_at("127.0.0.1:0"), loop, pool, sb);
  ASSERT_TRUE(a.start().ok());
  ASSERT_TRUE(b.start().ok());
  constexpr int kN = 1000;
  for (int i = 0; i < kN; ++i) {
    std::vector<uint8_t> m(100, static_cast<uint8_t>(i));
    m[0] = static_cast<uint8_t>(i >> 8);
    m[1] = static_cast<uint8_t>(i);
    ASSERT_TRUE(a.send(b.bound(), make_pkt(pool, m)));
  }
  a.flush();
  pump_until(loop,
             [&] { return sb.packets.size() + b.stats().pool_exhausted >= kN && a.queued() == 0; });
  EXPECT_EQ(a.stats().packets_sent + a.stats().send_errors + a.stats().queue_full,
            static_cast<uint64_t>(kN));
  // Every datagram the kernel accepted arrived (loopback, 2 MiB buffer).
  EXPECT_EQ(sb.packets.size() + b.stats().pool_exhausted, a.stats().packets_sent);
  EXPECT_EQ(sb.packets.size(), static_cast<size_t>(kN));
  std::set<int> seen;
  for (const auto& r : sb.packets) seen.insert((r.data[0] << 8) | r.data[1]);
  EXPECT_EQ(seen.size(), sb.packets.size());
  // Batching: far fewer bursts than packets.
  EXPECT_LT(sb.bursts, sb.packets.size());
  EXPECT_EQ(pool.available(), pool.total());
}

TEST(UdpTransport, RefusesPacketsOverTheMtu) {
  Pair p("127.0.0.1:0", "127.0.0.1:0", 200);
  EXPECT_FALSE(p.a.send(p.b.bound(), make_pkt(p.pool, std::vector<uint8_t>(201, 1))));
  EXPECT_EQ(p.a.stats().mtu_exceeded, 1u);
  EXPECT_TRUE(p.a.send(p.b.bound(), make_pkt(p.pool, std::vector<uint8_t>(200, 2))));
  p.a.flush();
  ASSERT_TRUE(pump_until(p.loop, [&] { return p.sb.packets.size() == 1; }));
  EXPECT_EQ(p.sb.packets[0].data.size(), 200u);
  EXPECT_EQ(p.pool.available(), p.pool.total());
}

// Sends raw bytes from a plain socket to the transport's port.
void raw_send(const UdpTransport& to, const std::vector<uint8_t>& bytes) {
  UniqueFd s = sock::open(AF_INET, SOCK_DGRAM);
  sockaddr_storage ss{};
  socklen_t len = loop_v4(to).to_sockaddr(ss, false);
  ASSERT_EQ(::sendto(s.get(), bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), len),
            static_cast<ssize_t>(bytes.size()));
}

TEST(UdpTransport, DropsPunchMagicSilently) {
  Pair p("127.0.0.1:0", "127.0.0.1:0");
  raw_send(p.b, {0x4E, 0x50, 0x54, 0x43, 0xAA});  // probe
  raw_send(p.b, {0x4E, 0x50, 0x54, 0x41});        // ack
  raw_send(p.b, {0x4E, 0x50, 0x54, 0x42, 0x00});  // not magic
  ASSERT_TRUE(
      pump_until(p.loop, [&] { return p.sb.packets.size() == 1 && p.b.punch_dropped() == 2; }));
  pump_for(p.loop, 20);
  ASSERT_EQ(p.sb.packets.size(), 1u);
  EXPECT_EQ(p.sb.packets[0].data[3], 0x42);
  EXPECT_EQ(p.b.stats().recv_errors, 0u);
  EXPECT_TRUE(is_punch_packet(std::vector<uint8_t>{0x4E, 0x50, 0x54, 0x43}.data(), 4));
  EXPECT_FALSE(is_punch_packet(std::vector<uint8_t>{0x4E, 0x50, 0x54}.data(), 3));
}

TEST(UdpTransport, CountsTruncatedDatagrams) {
  Pair p("127.0.0.1:0", "127.0.0.1:0", 100);  // receive size 200
  raw_send(p.b, std::vector<uint8_t>(300, 1));
  raw_send(p.b, std::vector<uint8_t>(200, 2));
  ASSERT_TRUE(
      pump_until(p.loop, [&] { return p.b.stats().truncated == 1 && p.sb.packets.size() == 1; }));
  EXPECT_EQ(p.sb.packets[0].data.size(), 200u);
}

TEST(UdpTransport, PoolExhaustionIsCountedAndDrained) {
  EventLoop loop;
  BufferPool pool_a(16, 2048, 64), pool_b(2, 2048, 64);
  RecordingSink sa, sb;
  sb.hold = true;  // keep every buffer: the pool runs dry after 2
  UdpTransport a(1, cfg_at("127.0.0.1:0"), loop, pool_a, sa);
  UdpTransport b(2, cfg_at("127.0.0.1:0"), loop, pool_b, sb);
  ASSERT_TRUE(a.start().ok());
  ASSERT_TRUE(b.start().ok());
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(a.send(b.bound(), make_pkt(pool_a, {static_cast<uint8_t>(i)})));
  a.flush();
  ASSERT_TRUE(pump_until(loop, [&] { return b.stats().packets_recv == 5; }));
  EXPECT_EQ(sb.packets.size(), 2u);
  EXPECT_EQ(b.stats().pool_exhausted, 3u);
  // The datagrams were drained, not left to re-trigger the loop.
  sb.held.clear();
  pump_for(loop, 20);
  EXPECT_EQ(b.stats().packets_recv, 5u);
}

// A transport whose sendmmsg reports EAGAIN while `fail` is set.
class FlakyUdp : public UdpTransport {
 public:
  using UdpTransport::UdpTransport;
  bool fail = true;
  int calls = 0;

 protected:
  int sys_sendmmsg(int fd, mmsghdr* m, unsigned n) override {
    ++calls;
    if (fail) {
      errno = EAGAIN;
      return -1;
    }
    return UdpTransport::sys_sendmmsg(fd, m, n);
  }
};

TEST(UdpTransport, EagainKeepsBacklogAndResumesOnWritable) {
  EventLoop loop;
  BufferPool pool(2048, 2048, 64);
  RecordingSink sa, sb;
  FlakyUdp a(1, cfg_at("127.0.0.1:0"), loop, pool, sa);
  UdpTransport b(2, cfg_at("127.0.0.1:0"), loop, pool, sb);
  ASSERT_TRUE(a.start().ok());
  ASSERT_TRUE(b.start().ok());
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(a.send(b.bound(), make_pkt(pool, {static_cast<uint8_t>(i)})));
  a.flush();
  EXPECT_TRUE(a.write_blocked());
  EXPECT_EQ(a.queued(), 10u);
  // While blocked, sends keep queueing without a syscall per packet.
  const int calls = a.calls;
  for (int i = 10; i < 100; ++i)
    ASSERT_TRUE(a.send(b.bound(), make_pkt(pool, {static_cast<uint8_t>(i)})));
  a.flush();
  EXPECT_EQ(a.calls, calls);
  EXPECT_EQ(a.queued(), 100u);
  // The socket is in fact writable: EPOLLOUT fires and the backlog drains in order.
  a.fail = false;
  ASSERT_TRUE(pump_until(loop, [&] { return sb.packets.size() == 100; }));
  EXPECT_FALSE(a.write_blocked());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sb.packets[static_cast<size_t>(i)].data[0], i);
  EXPECT_EQ(a.stats().packets_sent, 100u);
}

TEST(UdpTransport, QueueFullDropsAndCounts) {
  EventLoop loop;
  BufferPool pool(UdpTransport::kSendQueue + 16, 256, 32);
  RecordingSink sa;
  FlakyUdp a(1, cfg_at("127.0.0.1:0", 200), loop, pool, sa);
  ASSERT_TRUE(a.start().ok());
  const auto dst = *TransportAddr::parse("127.0.0.1:9");
  for (size_t i = 0; i < UdpTransport::kSendQueue; ++i)
    ASSERT_TRUE(a.send(dst, make_pkt(pool, {1})));
  EXPECT_FALSE(a.send(dst, make_pkt(pool, {1})));
  EXPECT_EQ(a.stats().queue_full, 1u);
  a.stop();  // drops the backlog back into the pool
  EXPECT_EQ(pool.available(), pool.total());
}

TEST(UdpTransport, OtherSendErrorsDropOnlyThatPacket) {
  Pair p("127.0.0.1:0", "127.0.0.1:0");
  // Port 0 is not a valid destination: the kernel refuses that one datagram.
  ASSERT_TRUE(p.a.send(*TransportAddr::parse("127.0.0.1:0"), make_pkt(p.pool, {1})));
  ASSERT_TRUE(p.a.send(p.b.bound(), make_pkt(p.pool, {2})));
  p.a.flush();
  ASSERT_TRUE(pump_until(p.loop, [&] { return p.sb.packets.size() == 1; }));
  EXPECT_EQ(p.a.stats().send_errors, 1u);
  EXPECT_EQ(p.a.stats().packets_sent, 1u);
  EXPECT_EQ(p.a.queued(), 0u);
}

TEST(UdpTransport, StartErrorsAreClear) {
  EventLoop loop;
  BufferPool pool(8, 2048, 64);
  RecordingSink s;
  UdpTransport bad(1, cfg_at("localhost:2121"), loop, pool, s);
  auto r = bad.start();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("bind_addr"), std::string::npos) << r.error();
  EXPECT_EQ(bad.state(), TransportState::kFailed);

  UdpTransport first(2, cfg_at("127.0.0.1:0"), loop, pool, s);
  ASSERT_TRUE(first.start().ok());
  UdpTransport second(3, cfg_at(first.local_addr()), loop, pool, s);
  auto r2 = second.start();
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().find("Address already in use"), std::string::npos) << r2.error();

  UdpTransport big(4, cfg_at("127.0.0.1:0", 4000), loop, pool, s);
  auto r3 = big.start();
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.error().find("mtu"), std::string::npos) << r3.error();
}

TEST(UdpTransport, OutboundOnlyBindsEphemeralAndRefusesInbound) {
  EventLoop loop;
  BufferPool pool(8, 2048, 64);
  RecordingSink s;
  UdpTransportConfig c = cfg_at("0.0.0.0:2121");
  c.outbound_only = true;
  UdpTransport t(1, c, loop, pool, s);
  ASSERT_TRUE(t.start().ok());
  EXPECT_FALSE(t.accepts_inbound());
  EXPECT_NE(t.bound().port(), 2121);
  EXPECT_EQ(t.type(), "udp");
  UdpTransportConfig c2 = cfg_at("127.0.0.1:0");
  c2.accept_connections = false;
  EXPECT_FALSE(UdpTransport(2, c2, loop, pool, s).accepts_inbound());
  EXPECT_TRUE(UdpTransport(3, cfg_at("127.0.0.1:0"), loop, pool, s).accepts_inbound());
}

// UDP GSO: equal-size datagrams to one address leave as UDP_SEGMENT messages;
// the receiver still sees each datagram, whole and in order, and a change of
// size or address starts a new message.
TEST(UdpTransport, GsoMessagesArriveAsTheOriginalDatagramsInOrder) {
  for (bool gso : {true, false}) {
    Pair p("127.0.0.1:0", "127.0.0.1:0");
    RecordingSink sc;
    UdpTransport c(3, cfg_at("127.0.0.1:0"), p.loop, p.pool, sc);
    ASSERT_TRUE(c.start().ok());
    p.a.set_gso(gso);
    std::vector<std::vector<uint8_t>> want_b, want_c;
    for (size_t i = 0; i < 150; ++i) {
      // Runs of 1000-byte datagrams, a 300-byte one after every 40th, and
      // every 25th to the other receiver.
      std::vector<uint8_t> d(i % 40 == 39 ? 300 : 1000, static_cast<uint8_t>(i));
      d[0] = static_cast<uint8_t>(i);
      d[1] = static_cast<uint8_t>(i >> 8);
      const bool to_c = i % 25 == 24;
      (to_c ? want_c : want_b).push_back(d);
      ASSERT_TRUE(p.a.send(to_c ? c.bound() : p.b.bound(), make_pkt(p.pool, d)));
    }
    p.a.flush();
    ASSERT_TRUE(pump_until(p.loop, [&] {
      return p.sb.packets.size() == want_b.size() && sc.packets.size() == want_c.size();
    })) << "gso " << gso << ": " << p.sb.packets.size() << " + " << sc.packets.size();
    for (size_t i = 0; i < want_b.size(); ++i) EXPECT_EQ(p.sb.packets[i].data, want_b[i]) << i;
    for (size_t i = 0; i < want_c.size(); ++i) EXPECT_EQ(sc.packets[i].data, want_c[i]) << i;
    EXPECT_EQ(p.a.stats().packets_sent, 150u);
    EXPECT_EQ(p.a.stats().send_errors, 0u);
    if (gso) {
      EXPECT_TRUE(p.a.gso());
      EXPECT_GE(p.a.gso_messages(), 3u);
      EXPECT_GE(p.a.gso_datagrams(), 100u);
    } else {
      EXPECT_EQ(p.a.gso_messages(), 0u);
    }
    EXPECT_EQ(p.b.stats().packets_recv, want_b.size());
    // The receivers run with UDP GRO: loopback hands GSO runs over whole.
    EXPECT_TRUE(p.b.gro());
    if (gso) {
      EXPECT_GE(p.b.gro_messages(), 1u);
    }
    c.stop();
  }
}

// A receiver without GRO (GSO off before start) gets the sender's GSO runs
// as separate datagrams too, by the kernel splitting them.
TEST(UdpTransport, ReceiverWithoutGroGetsEveryDatagram) {
  EventLoop loop;
  BufferPool pool{256, 2048, 64};
  RecordingSink sa, sb;
  UdpTransport a(1, cfg_at("127.0.0.1:0"), loop, pool, sa);
  UdpTransport b(2, cfg_at("127.0.0.1:0"), loop, pool, sb);
  b.set_gso(false);
  ASSERT_TRUE(a.start().ok());
  ASSERT_TRUE(b.start().ok());
  EXPECT_FALSE(b.gro());
  for (size_t i = 0; i < 50; ++i) {
    std::vector<uint8_t> d(900, static_cast<uint8_t>(i));
    ASSERT_TRUE(a.send(b.bound(), make_pkt(pool, d)));
  }
  a.flush();
  ASSERT_TRUE(pump_until(loop, [&] { return sb.packets.size() == 50; }));
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(sb.packets[i].data.size(), 900u);
    EXPECT_EQ(sb.packets[i].data[0], i);
  }
  EXPECT_GE(a.gso_messages(), 1u);
  EXPECT_EQ(b.gro_messages(), 0u);
}

// A receiver that does not read while datagrams pour in: the kernel drops
// what its small queue cannot hold, and the next datagram queued carries the
// socket's drop count (SO_RXQ_OVFL), with GRO and without.
TEST(UdpTransport, KernelReceiveQueueDropsAreCounted) {
  for (bool gro : {true, false}) {
    EventLoop loop;
    BufferPool pool{512, 2048, 64};
    RecordingSink sb;
    UdpTransportConfig cb = cfg_at("127.0.0.1:0");
    cb.recv_buf_size = 4096;  // the kernel doubles it and keeps a floor: a few datagrams
    UdpTransport b(2, cb, loop, pool, sb);
    b.set_gso(gro);
    ASSERT_TRUE(b.start().ok());
    UniqueFd s = sock::open(AF_INET, SOCK_DGRAM);
    ASSERT_TRUE(s);
    sockaddr_storage ss{};
    const socklen_t len = loop_v4(b).to_sockaddr(ss, false);
    const std::vector<uint8_t> d(1000, 7);
    auto blast = [&](int n) {
      for (int i = 0; i < n; ++i)
        (void)::sendto(s.get(), d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
    };
    blast(200);  // nobody reads: most of these are dropped by the kernel
    pump_for(loop, 50);
    const size_t first = sb.packets.size();
    EXPECT_LT(first, 200u) << "the queue held everything: no drop to count";
    blast(3);  // queued after the drops: they carry the count
    ASSERT_TRUE(pump_until(loop, [&] { return b.stats().kernel_drops > 0; })) << "gro " << gro;
    EXPECT_LE(b.stats().kernel_drops, 200u - first);
    EXPECT_GT(b.stats().kernel_drops + sb.packets.size(), 200u - 3u);
  }
}

}  // namespace
}  // namespace fips
