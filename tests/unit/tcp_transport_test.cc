// TCP transport on loopback: FMP-framed exchange between a listener and a
// dialer, connect-on-send queueing, dial failure and timeout, framing errors
// isolated to one connection, inbound cap, first-frame deadline,
// close_connection, MTU, output bound and the EPOLLOUT path.
#include "transport/tcp.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "transport/sockopt.h"
#include "transport_test_util.h"

namespace fips {
namespace {

using test::fmp_frame;
using test::fmp_handshake;
using test::make_pkt;
using test::pump_for;
using test::pump_until;
using test::RecordingSink;

TcpTransportConfig listen_cfg(const std::string& bind = "127.0.0.1:0", uint16_t mtu = 1400) {
  TcpTransportConfig c;
  c.bind_addr = bind;
  c.mtu = mtu;
  return c;
}

TcpTransportConfig dial_cfg(uint16_t mtu = 1400) {
  TcpTransportConfig c;
  c.mtu = mtu;
  return c;
}

TransportAddr loop_v4(uint16_t port) {
  return *TransportAddr::parse("127.0.0.1:" + std::to_string(port));
}

// A plain blocking client socket connected to port; made non-blocking after.
UniqueFd raw_connect(uint16_t port) {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_storage ss{};
  const socklen_t len = loop_v4(port).to_sockaddr(ss, false);
  EXPECT_EQ(::connect(s.get(), reinterpret_cast<sockaddr*>(&ss), len), 0) << std::strerror(errno);
  ::fcntl(s.get(), F_SETFL, O_NONBLOCK);
  return s;
}

void raw_write(int fd, const std::vector<uint8_t>& b) {
  ASSERT_EQ(::send(fd, b.data(), b.size(), MSG_NOSIGNAL), static_cast<ssize_t>(b.size()));
}

// True once the peer closed fd (EOF or reset).
bool raw_closed(int fd) {
  uint8_t buf[256];
  const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

struct Net {
  EventLoop loop;
  BufferPool pool{512, 2048, 64};
  RecordingSink ss, sc;  // server sink, client sink
  std::unique_ptr<TcpTransport> server, client;
  explicit Net(TcpTransportConfig scfg = listen_cfg(), TcpTransportConfig ccfg = dial_cfg(),
               TcpLimits slim = {}, TcpLimits clim = {}, uint64_t node_max = 256) {
    server = std::make_unique<TcpTransport>(1, scfg, loop, pool, ss, node_max, slim);
    client = std::make_unique<TcpTransport>(2, ccfg, loop, pool, sc, node_max, clim);
    auto r = server->start();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error());
    EXPECT_TRUE(client->start().ok());
  }
  TransportAddr server_addr() const { return loop_v4(server->bound().port()); }
};

TEST(TcpTransport, ListenerAndDialerExchangeFramedPackets) {
  Net n;
  EXPECT_TRUE(n.server->accepts_inbound());
  EXPECT_FALSE(n.client->accepts_inbound());
  EXPECT_EQ(n.client->local_addr(), "");
  EXPECT_EQ(n.server->local_addr(), "127.0.0.1:" + std::to_string(n.server->bound().port()));
  const auto to = n.server_addr();
  const auto msg1 = fmp_handshake(1, 0x11);
  const auto f1 = fmp_frame(100, 0x22);
  const auto f2 = fmp_frame(0, 0x33);
  ASSERT_TRUE(n.client->send(to, make_pkt(n.pool, msg1)));
  ASSERT_TRUE(n.client->send(to, make_pkt(n.pool, f1)));
  ASSERT_TRUE(n.client->send(to, make_pkt(n.pool, f2)));
  n.client->flush();
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.ss.packets.size() == 3; }));
  EXPECT_EQ(n.ss.packets[0].data, msg1);
  EXPECT_EQ(n.ss.packets[1].data, f1);
  EXPECT_EQ(n.ss.packets[2].data, f2);
  EXPECT_EQ(n.ss.packets[0].headroom, n.pool.default_headroom());
  const TransportAddr peer = n.ss.packets[0].from;  // the dialer's ip:ephemeral port
  EXPECT_TRUE(peer.is_v4());
  EXPECT_NE(peer, to);
  EXPECT_EQ(n.server->pool_inbound(), 1u);
  EXPECT_EQ(n.server->stats().connections_accepted, 1u);
  EXPECT_EQ(n.client->pool_outbound(), 1u);
  EXPECT_EQ(n.client->connection_state(to), TcpTransport::ConnState::kConnected);
  EXPECT_EQ(n.server->connection_state(peer), TcpTransport::ConnState::kConnected);

  // Reply over the inbound connection; the dialer sees it under the dialled address.
  const auto msg2 = fmp_handshake(2, 0x44);
  ASSERT_TRUE(n.server->send(peer, make_pkt(n.pool, msg2)));
  n.server->flush();
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.sc.packets.size() == 1; }));
  EXPECT_EQ(n.sc.packets[0].data, msg2);
  EXPECT_EQ(n.sc.packets[0].from, to);
  EXPECT_EQ(n.client->stats().packets_sent, 3u);
  EXPECT_EQ(n.client->stats().bytes_sent, msg1.size() + f1.size() + f2.size());
  EXPECT_EQ(n.server->stats().packets_recv, 3u);
  EXPECT_EQ(n.server->stats().recv_errors, 0u);
}

TEST(TcpTransport, ManyFramesOfMixedSizesArriveInOrder) {
  Net n;
  const auto to = n.server_addr();
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < 600; ++i) {
    auto f = fmp_frame(static_cast<uint16_t>((i * 37) % (1400 - 32)), static_cast<uint8_t>(i));
    sent.push_back(f);
    ASSERT_TRUE(n.client->send(to, make_pkt(n.pool, f))) << i;
    if (i % 50 == 0) n.client->flush();
    n.loop.run_once(0);
  }
  n.client->flush();
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.ss.packets.size() == sent.size(); }));
  for (size_t i = 0; i < sent.size(); ++i) ASSERT_EQ(n.ss.packets[i].data, sent[i]) << i;
  EXPECT_EQ(n.pool.available(), n.pool.total());
}

TEST(TcpTransport, ConnectOnSendQueuesUntilConnected) {
  TcpLimits clim;
  clim.connect_queue_packets = 4;
  Net n(listen_cfg(), dial_cfg(), {}, clim);
  const auto to = n.server_addr();
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(n.client->send(to, make_pkt(n.pool, fmp_frame(10, static_cast<uint8_t>(i)))));
  // A non-blocking loopback dial is still in progress until the loop runs.
  ASSERT_EQ(n.client->connection_state(to), TcpTransport::ConnState::kConnecting);
  {
    EXPECT_EQ(n.client->connecting(), 1u);
    EXPECT_EQ(n.client->mtu_to(to), 1400);
    EXPECT_FALSE(n.client->send(to, make_pkt(n.pool, fmp_frame(10, 9))));
    EXPECT_EQ(n.client->stats().queue_full, 1u);
    EXPECT_EQ(n.client->stats().packets_sent, 0u);  // counted once connected
  }
  EXPECT_EQ(n.pool.available(), n.pool.total());  // queued bytes hold no buffers
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.ss.packets.size() == 4; }));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(n.ss.packets[static_cast<size_t>(i)].data[4], i);
  EXPECT_EQ(n.client->stats().packets_sent, 4u);
}

uint16_t closed_port() {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  return sock::local_of(s.get()).port();  // closed when s goes out of scope
}

TEST(TcpTransport, DialToClosedPortReportsConnectFailed) {
  EventLoop loop;
  BufferPool pool(64, 2048, 64);
  RecordingSink s;
  TcpTransport t(1, dial_cfg(), loop, pool, s);
  ASSERT_TRUE(t.start().ok());
  const auto to = loop_v4(closed_port());
  const bool queued = t.send(to, make_pkt(pool, fmp_frame(10, 1)));
  if (queued) (void)t.send(to, make_pkt(pool, fmp_frame(10, 2)));
  uint64_t now = 1000;
  ASSERT_TRUE(pump_until(loop, [&] {
    t.tick(now += 100);
    return s.failed.size() == 1;
  }));
  EXPECT_EQ(s.failed[0], to);
  EXPECT_EQ(t.stats().connect_failures, 1u);
  EXPECT_EQ(t.stats().send_errors, queued ? 2u : 1u);  // every packet for the dial is lost
  EXPECT_EQ(t.connection_state(to), TcpTransport::ConnState::kNone);
  EXPECT_TRUE(s.closed.empty());
  EXPECT_EQ(pool.available(), pool.total());
}

TEST(TcpTransport, ConnectTimeoutDropsQueueAndReports) {
  // A listener that never accepts, with its backlog filled, leaves later
  // SYNs unanswered so the dial stays in progress.
  UniqueFd l(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(l.get(), 0), 0);
  const uint16_t port = sock::local_of(l.get()).port();
  std::vector<UniqueFd> fillers;
  for (int i = 0; i < 4; ++i) {
    UniqueFd f = sock::open(AF_INET, SOCK_STREAM);
    sockaddr_storage ss{};
    const socklen_t len = loop_v4(port).to_sockaddr(ss, false);
    (void)::connect(f.get(), reinterpret_cast<sockaddr*>(&ss), len);
    fillers.push_back(std::move(f));
  }
  EventLoop loop;
  BufferPool pool(64, 2048, 64);
  RecordingSink s;
  TcpTransportConfig c = dial_cfg();
  c.connect_timeout_ms = 5000;
  TcpTransport t(1, c, loop, pool, s);
  ASSERT_TRUE(t.start().ok());
  const auto to = loop_v4(port);
  ASSERT_TRUE(t.send(to, make_pkt(pool, fmp_frame(10, 1))));
  pump_for(loop, 20);
  if (t.connection_state(to) != TcpTransport::ConnState::kConnecting)
    GTEST_SKIP() << "kernel completed the dial despite the full backlog";
  t.tick(10'000);  // arms the deadline at 15'000
  t.tick(14'999);
  EXPECT_TRUE(s.failed.empty());
  EXPECT_EQ(t.connection_state(to), TcpTransport::ConnState::kConnecting);
  t.tick(15'000);
  ASSERT_EQ(s.failed.size(), 1u);
  EXPECT_EQ(s.failed[0], to);
  EXPECT_EQ(t.stats().connect_failures, 1u);
  EXPECT_EQ(t.stats().send_errors, 1u);
  EXPECT_EQ(t.connecting(), 0u);
}

TEST(TcpTransport, HugePayloadLenClosesOnlyThatConnection) {
  Net n;
  const uint16_t port = n.server->bound().port();
  UniqueFd bad = raw_connect(port);
  UniqueFd good = raw_connect(port);
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.server->pool_inbound() == 2; }));
  const TransportAddr bad_addr = sock::local_of(bad.get());
  const TransportAddr good_addr = sock::local_of(good.get());
  std::vector<uint8_t> evil = {0x00, 0x00, 0x60, 0xEA};  // phase 0, payload_len 60000
  raw_write(bad.get(), evil);
  raw_write(good.get(), fmp_frame(50, 0x55));
  ASSERT_TRUE(
      pump_until(n.loop, [&] { return n.ss.closed.size() == 1 && n.ss.packets.size() == 1; }));
  EXPECT_EQ(n.ss.closed[0], bad_addr);
  EXPECT_EQ(n.ss.packets[0].from, good_addr);
  EXPECT_EQ(n.server->stats().recv_errors, 1u);
  EXPECT_EQ(n.server->stats().connections_closed, 1u);
  EXPECT_EQ(n.server->pool_inbound(), 1u);
  EXPECT_EQ(n.server->connection_state(bad_addr), TcpTransport::ConnState::kNone);
  ASSERT_TRUE(pump_until(n.loop, [&] { return raw_closed(bad.get()); }));
  // The other connection keeps working both ways.
  raw_write(good.get(), fmp_handshake(1, 0x66));
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.ss.packets.size() == 2; }));
  EXPECT_EQ(n.ss.packets[1].data, fmp_handshake(1, 0x66));
  ASSERT_TRUE(n.server->send(good_addr, make_pkt(n.pool, fmp_frame(8, 0x77))));
  n.server->flush();
  uint8_t buf[64];
  ssize_t got = 0;
  ASSERT_TRUE(pump_until(n.loop, [&] {
    got = ::recv(good.get(), buf, sizeof buf, MSG_DONTWAIT);
    return got > 0;
  }));
  EXPECT_EQ(got, 40);
}

TEST(TcpTransport, BadHandshakeLengthAndEofAreRecvErrors) {
  Net n;
  const uint16_t port = n.server->bound().port();
  {
    UniqueFd a = raw_connect(port);
    raw_write(a.get(), {0x01, 0x00, 0x10, 0x00});  // msg1 with payload_len 16
    ASSERT_TRUE(pump_until(n.loop, [&] { return n.server->stats().recv_errors == 1; }));
  }
  {
    UniqueFd b = raw_connect(port);
    ASSERT_TRUE(pump_until(n.loop, [&] { return n.server->pool_inbound() == 1; }));
  }  // closed by us: EOF
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.server->stats().recv_errors == 2; }));
  EXPECT_EQ(n.server->pool_inbound(), 0u);
  EXPECT_EQ(n.ss.closed.size(), 2u);
}

TEST(TcpTransport, InboundCapRejectsExtraConnections) {
  TcpTransportConfig scfg = listen_cfg();
  scfg.max_inbound_connections = 2;
  Net n(scfg, dial_cfg(), {}, {}, /*node_max=*/100);
  EXPECT_EQ(n.server->effective_max_inbound(), 2u);
  const uint16_t port = n.server->bound().port();
  std::vector<UniqueFd> cs;
  for (int i = 0; i < 2; ++i) cs.push_back(raw_connect(port));
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.server->stats().connections_accepted == 2; }));
  // Both carry authenticated links, so the third finds no slot it may take.
  for (auto& c : cs) n.server->mark_authenticated(sock::local_of(c.get()));
  cs.push_back(raw_connect(port));
  ASSERT_TRUE(pump_until(n.loop, [&] {
    return n.server->stats().connections_accepted + n.server->stats().connections_rejected == 3;
  }));
  EXPECT_EQ(n.server->stats().connections_accepted, 2u);
  EXPECT_EQ(n.server->stats().connections_rejected, 1u);
  EXPECT_EQ(n.server->pool_inbound(), 2u);
  ASSERT_TRUE(pump_until(n.loop, [&] { return raw_closed(cs[2].get()); }));
  // Freeing a slot lets the next one in.
  cs[0].reset();
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.server->pool_inbound() == 1; }));
  UniqueFd again = raw_connect(port);
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.server->pool_inbound() == 2; }));
  EXPECT_EQ(n.server->stats().connections_rejected, 1u);
}

// Issue 15 (4): connections that never authenticate a link cannot squat the
// inbound slots: at the cap the oldest of them gives way to a newcomer, and
// at the per-IP limit the oldest from that IP does.
TEST(TcpTransport, UnauthenticatedConnectionsGiveWayAtTheCap) {
  TcpTransportConfig scfg = listen_cfg();
  scfg.max_inbound_connections = 3;
  TcpLimits lim;
  lim.max_unauthenticated_per_ip = 100;
  Net n(scfg, dial_cfg(), lim, {}, /*node_max=*/100);
  const uint16_t port = n.server->bound().port();
  UniqueFd peer = raw_connect(port);
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.server->pool_inbound() == 1; }));
  n.server->mark_authenticated(sock::local_of(peer.get()));
  std::vector<UniqueFd> squat;
  for (int i = 0; i < 10; ++i) {
    squat.push_back(raw_connect(port));
    ASSERT_TRUE(pump_until(n.loop, [&] {
      return n.server->stats().connections_accepted == static_cast<uint64_t>(i) + 2;
    }));
  }
  EXPECT_EQ(n.server->pool_inbound(), 3u);
  EXPECT_EQ(n.server->stats().connections_rejected, 0u);
  EXPECT_EQ(n.server->stats().unauthenticated_evicted, 8u);
  EXPECT_EQ(n.server->connection_state(sock::local_of(peer.get())),
            TcpTransport::ConnState::kConnected);  // the authenticated one stays
  for (int i = 0; i < 8; ++i)  // the oldest squatters were closed
    ASSERT_TRUE(pump_until(n.loop, [&] { return raw_closed(squat[static_cast<size_t>(i)].get()); }));

  TcpLimits per_ip;
  per_ip.max_unauthenticated_per_ip = 2;
  Net m(listen_cfg(), dial_cfg(), per_ip, {}, /*node_max=*/100);
  const uint16_t port2 = m.server->bound().port();
  std::vector<UniqueFd> same;
  for (int i = 0; i < 5; ++i) {
    same.push_back(raw_connect(port2));
    ASSERT_TRUE(pump_until(m.loop, [&] {
      return m.server->stats().connections_accepted == static_cast<uint64_t>(i) + 1;
    }));
  }
  EXPECT_EQ(m.server->pool_inbound(), 2u);  // 127.0.0.1 holds 2 unauthenticated at most
  EXPECT_EQ(m.server->stats().unauthenticated_evicted, 3u);
}

TEST(TcpTransport, InboundCapFallsBackToNodeMaxConnections) {
  EventLoop loop;
  BufferPool pool(8, 2048, 64);
  RecordingSink s;
  TcpTransport t(1, listen_cfg(), loop, pool, s, 7);
  EXPECT_EQ(t.effective_max_inbound(), 7u);
  TcpTransportConfig c = listen_cfg();
  c.max_inbound_connections = 3;
  TcpTransport t2(2, c, loop, pool, s, 7);
  EXPECT_EQ(t2.effective_max_inbound(), 3u);
}

TEST(TcpTransport, FirstFrameDeadlineClosesSilentInbound) {
  TcpLimits slim;
  slim.first_frame_timeout_ms = 50;
  Net n(listen_cfg(), dial_cfg(), slim);
  const uint16_t port = n.server->bound().port();
  UniqueFd silent = raw_connect(port);
  UniqueFd talker = raw_connect(port);
  raw_write(talker.get(), fmp_handshake(1, 1));
  ASSERT_TRUE(pump_until(
      n.loop, [&] { return n.ss.packets.size() == 1 && n.server->pool_inbound() == 2; }));
  // The talker's handshake completed (the link layer says so); the silent
  // one's did not. A frame alone no longer disarms the deadline (issue 15).
  n.server->mark_authenticated(sock::local_of(talker.get()));
  n.server->tick(1000);  // deadline armed: 1050
  n.server->tick(1049);
  EXPECT_EQ(n.server->pool_inbound(), 2u);
  EXPECT_TRUE(n.ss.closed.empty());
  n.server->tick(1050);
  EXPECT_EQ(n.server->pool_inbound(), 1u);
  ASSERT_EQ(n.ss.closed.size(), 1u);
  EXPECT_EQ(n.ss.closed[0], sock::local_of(silent.get()));
  EXPECT_EQ(n.server->stats().recv_errors, 0u);  // a deadline is not a recv error
  ASSERT_TRUE(pump_until(n.loop, [&] { return raw_closed(silent.get()); }));
  n.server->tick(100'000);  // the authenticated talker has no deadline
  EXPECT_EQ(n.server->pool_inbound(), 1u);
}

// Sending well-framed packets without ever completing a handshake does not
// keep a connection open (issue 15, attack 4).
TEST(TcpTransport, FramesWithoutAHandshakeDoNotDisarmTheDeadline) {
  TcpLimits slim;
  slim.first_frame_timeout_ms = 50;
  Net n(listen_cfg(), dial_cfg(), slim);
  UniqueFd chatty = raw_connect(n.server->bound().port());
  raw_write(chatty.get(), fmp_handshake(1, 1));
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.ss.packets.size() == 1; }));
  n.server->tick(1000);
  raw_write(chatty.get(), fmp_handshake(2, 2));
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.ss.packets.size() == 2; }));
  n.server->tick(1050);
  EXPECT_EQ(n.server->pool_inbound(), 0u);
  ASSERT_TRUE(pump_until(n.loop, [&] { return raw_closed(chatty.get()); }));
}

TEST(TcpTransport, CloseConnectionAndRedial) {
  Net n;
  const auto to = n.server_addr();
  ASSERT_TRUE(n.client->send(to, make_pkt(n.pool, fmp_handshake(1, 1))));
  n.client->flush();
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.ss.packets.size() == 1; }));
  n.client->close_connection(to);
  EXPECT_EQ(n.client->connection_state(to), TcpTransport::ConnState::kNone);
  EXPECT_EQ(n.client->pool_outbound(), 0u);
  EXPECT_EQ(n.client->stats().connections_closed, 1u);
  // The server notices the EOF and drops its side.
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.ss.closed.size() == 1; }));
  EXPECT_EQ(n.ss.closed[0], n.ss.packets[0].from);
  EXPECT_EQ(n.server->pool_inbound(), 0u);
  EXPECT_TRUE(n.sc.closed.empty());  // no callback for a close we asked for
  // Sending again dials a fresh connection.
  ASSERT_TRUE(n.client->send(to, make_pkt(n.pool, fmp_handshake(2, 2))));
  n.client->flush();
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.ss.packets.size() == 2; }));
  EXPECT_NE(n.ss.packets[1].from, n.ss.packets[0].from);
}

TEST(TcpTransport, MtuIsMinOfConfigAndMss) {
  Net n(listen_cfg("127.0.0.1:0", 500), dial_cfg(500));
  const auto to = n.server_addr();
  EXPECT_FALSE(n.client->send(to, make_pkt(n.pool, fmp_frame(500 - 32 + 1, 1))));
  EXPECT_EQ(n.client->stats().mtu_exceeded, 1u);
  ASSERT_TRUE(n.client->send(to, make_pkt(n.pool, fmp_frame(500 - 32, 1))));
  n.client->flush();
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.ss.packets.size() == 1; }));
  EXPECT_EQ(n.client->mtu_to(to), 500);  // loopback MSS is far larger
  EXPECT_EQ(n.server->mtu_to(n.ss.packets[0].from), 500);
  EXPECT_EQ(n.client->mtu(), 500);
}

TEST(TcpTransport, OutputBoundAndWritableResume) {
  // A peer that does not read: the client's output fills to its bound, then
  // drains in order once the peer reads.
  EventLoop loop;
  BufferPool pool(512, 2048, 64);
  RecordingSink s;
  UniqueFd l(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int small = 4096;
  ::setsockopt(l.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ASSERT_EQ(::bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(l.get(), 4), 0);
  TcpTransportConfig c = dial_cfg();
  c.send_buf_size = 4096;
  TcpLimits lim;
  lim.out_buf_bytes = 32 * 1024;
  TcpTransport t(1, c, loop, pool, s, 256, lim);
  ASSERT_TRUE(t.start().ok());
  const auto to = loop_v4(sock::local_of(l.get()).port());
  uint64_t accepted = 0;
  for (int i = 0; i < 400; ++i) {
    if (t.send(to, make_pkt(pool, fmp_frame(1000 - 32, static_cast<uint8_t>(accepted)))))
      ++accepted;
    t.flush();
    loop.run_once(0);
  }
  EXPECT_GT(t.stats().queue_full, 0u);
  EXPECT_EQ(accepted, t.stats().packets_sent);
  EXPECT_EQ(pool.available(), pool.total());  // blocked bytes hold no pool buffers
  UniqueFd peer(::accept(l.get(), nullptr, nullptr));
  ASSERT_TRUE(peer.valid());
  ::fcntl(peer.get(), F_SETFL, O_NONBLOCK);
  std::vector<uint8_t> rx;
  ASSERT_TRUE(pump_until(loop, [&] {
    uint8_t buf[65536];
    ssize_t n;
    while ((n = ::recv(peer.get(), buf, sizeof buf, 0)) > 0) rx.insert(rx.end(), buf, buf + n);
    return rx.size() >= accepted * 1000;
  }));
  ASSERT_EQ(rx.size(), accepted * 1000);
  for (uint64_t i = 0; i < accepted; ++i) {
    ASSERT_EQ(rx[i * 1000 + 2], 0xC8);  // payload_len 968 = 0x03C8, LE
    ASSERT_EQ(rx[i * 1000 + 10], static_cast<uint8_t>(i)) << i;
  }
}

TEST(TcpTransport, DualStackListenerSeesCanonicalV4) {
  Net n(listen_cfg("[::]:0"));
  const auto to = n.server_addr();  // 127.0.0.1:<port>
  ASSERT_TRUE(n.client->send(to, make_pkt(n.pool, fmp_handshake(1, 1))));
  n.client->flush();
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.ss.packets.size() == 1; }));
  EXPECT_TRUE(n.ss.packets[0].from.is_v4());
  EXPECT_EQ(n.ss.packets[0].from.str().rfind("127.0.0.1:", 0), 0u);
}

TEST(TcpTransport, StartErrorsAreClear) {
  EventLoop loop;
  BufferPool pool(8, 2048, 64);
  RecordingSink s;
  TcpTransport bad(1, listen_cfg("nope"), loop, pool, s);
  auto r = bad.start();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("bind_addr"), std::string::npos) << r.error();
  EXPECT_EQ(bad.state(), TransportState::kFailed);
  TcpTransport first(2, listen_cfg(), loop, pool, s);
  ASSERT_TRUE(first.start().ok());
  TcpTransport second(3, listen_cfg(first.local_addr()), loop, pool, s);
  auto r2 = second.start();
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().find("Address already in use"), std::string::npos) << r2.error();
  EXPECT_FALSE(first.send(TransportAddr::synthetic(1), make_pkt(pool, {1})));
  EXPECT_EQ(first.stats().send_errors, 1u);
}

TEST(TcpTransport, SinkMayCloseTheConnectionFromOnPacket) {
  Net n;
  const auto to = n.server_addr();
  n.ss.on_packet_hook = [&](const TransportAddr& from) { n.server->close_connection(from); };
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(n.client->send(to, make_pkt(n.pool, fmp_frame(10, 1))));
  n.client->flush();
  ASSERT_TRUE(pump_until(n.loop, [&] { return n.server->stats().connections_closed == 1; }));
  pump_for(n.loop, 20);
  EXPECT_EQ(n.ss.packets.size(), 1u);  // nothing delivered after the close
  EXPECT_EQ(n.server->pool_inbound(), 0u);
  EXPECT_EQ(n.pool.available(), n.pool.total());
}

}  // namespace
}  // namespace fips

namespace fips {
namespace {

TEST(TcpTransport, PoolExhaustionDropsWholePacketsAndKeepsTheStream) {
  EventLoop loop;
  BufferPool spool(2, 2048, 64), cpool(64, 2048, 64);
  RecordingSink ss, sc;
  ss.hold = true;  // the server's consumer keeps its buffers
  TcpTransport server(1, listen_cfg(), loop, spool, ss);
  TcpTransport client(2, dial_cfg(), loop, cpool, sc);
  ASSERT_TRUE(server.start().ok());
  ASSERT_TRUE(client.start().ok());
  const auto to = loop_v4(server.bound().port());
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(client.send(to, make_pkt(cpool, fmp_frame(20, static_cast<uint8_t>(i)))));
  client.flush();
  ASSERT_TRUE(pump_until(loop, [&] { return server.stats().packets_recv == 5; }));
  EXPECT_EQ(ss.packets.size(), 2u);
  EXPECT_EQ(server.stats().pool_exhausted, 3u);
  // Buffers back: later packets flow again on the same connection.
  ss.held.clear();
  ASSERT_TRUE(client.send(to, make_pkt(cpool, fmp_frame(20, 9))));
  client.flush();
  ASSERT_TRUE(pump_until(loop, [&] { return ss.packets.size() == 3; }));
  EXPECT_EQ(ss.packets[2].data[4], 9);
  EXPECT_EQ(server.stats().recv_errors, 0u);
}

}  // namespace
}  // namespace fips
