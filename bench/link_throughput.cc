// Established-frame throughput between two FMP nodes on real UDP sockets on
// loopback (one thread = one core each), next to the ceiling: a plain
// sendmmsg/recvmmsg loop that seals and opens every datagram with the same
// ChaCha20-Poly1305, measured in the same run. Prints frames/s for both and
// the ratio.  Usage: fips_link_bench [seconds=3] [payload=1400]
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "crypto/aead.h"
#include "crypto/random.h"
#include "io/event_loop.h"
#include "node/node.h"
#include "transport/udp.h"

using namespace fips;

namespace {

using Clock = std::chrono::steady_clock;

struct Side : TransportSink, LinkIo, LinkUpper {
  explicit Side(uint16_t mtu)
      : pool(8192, 2048, 128), id(Identity::generate()) {
    UdpTransportConfig c;
    c.bind_addr = "127.0.0.1:0";
    c.mtu = mtu;
    c.recv_buf_size = c.send_buf_size = 8 << 20;
    udp = std::make_unique<UdpTransport>(1, c, loop, pool, *this);
    if (!udp->start()) std::abort();
    Epoch e;
    random_bytes(e);
    LinkConfig lc;
    lc.rekey_enabled = false;  // measure the steady state
    link = std::make_unique<LinkLayer>(id, e, lc, *this, this, random_u64());
  }
  // TransportSink
  void on_packet(TransportId t, const TransportAddr& f, PacketBuf&& p) override {
    link->on_packet(t, f, std::move(p), monotonic_ms());
  }
  void on_burst_end() override { udp->flush(); }
  // LinkIo
  PacketBuf alloc() override { return pool.acquire(); }
  bool send(TransportId, const TransportAddr& to, PacketBuf&& p) override {
    return udp->send(to, std::move(p));
  }
  uint16_t mtu(TransportId, const TransportAddr&) const override { return udp->mtu(); }
  bool accepts_inbound(TransportId) const override { return true; }
  void close_connection(TransportId, const TransportAddr&) override {}
  uint64_t wall_ms() const override { return 0; }
  // LinkUpper
  void on_peer_up(const Peer&, uint64_t) override { up = true; }
  void on_peer_down(const NodeAddr&, uint64_t) override {}
  bool on_link_message(Peer&, uint8_t, PacketBuf&&, bool, uint64_t) override {
    received.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  EventLoop loop;
  BufferPool pool;
  Identity id;
  std::unique_ptr<UdpTransport> udp;
  std::unique_ptr<LinkLayer> link;
  std::atomic<bool> up{false};
  std::atomic<uint64_t> received{0};
};

double run_fmp(double secs, size_t payload) {
  Side rx(1500), tx(1500);
  std::atomic<bool> stop{false};
  std::thread rx_thread([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      rx.loop.run_once(5);
      rx.link->tick(monotonic_ms());
    }
  });
  tx.link->dial(rx.id.as_peer(), DialTarget{1, rx.udp->bound()}, monotonic_ms());
  tx.udp->flush();
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!tx.up && Clock::now() < deadline) tx.loop.run_once(5);
  if (!tx.up) {
    std::fprintf(stderr, "handshake did not complete\n");
    std::abort();
  }
  Peer* p = tx.link->find_peer(rx.id.node_addr());
  std::vector<uint8_t> msg(payload + 1, 0xAB);
  msg.front() = 0x00;  // a SessionDatagram-typed link message
  const uint64_t start_rx = rx.received.load();
  const auto t0 = Clock::now();
  const auto t_end = t0 + std::chrono::duration<double>(secs);
  uint64_t sent = 0;
  while (Clock::now() < t_end) {
    for (int i = 0; i < 64; ++i) {
      PacketBuf b = tx.pool.acquire();
      if (!b) break;
      (void)b.push_back(payload);
      std::memcpy(b.data(), msg.data(), payload);
      if (tx.link->send_message(*p, std::move(b), monotonic_ms())) ++sent;
    }
    tx.udp->flush();
    tx.loop.run_once(tx.udp->write_blocked() ? 1 : 0);
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const uint64_t got = rx.received.load() - start_rx;
  stop = true;
  rx_thread.join();
  std::fprintf(stderr, "fmp: sent %llu, delivered %llu\n", static_cast<unsigned long long>(sent),
               static_cast<unsigned long long>(got));
  return static_cast<double>(got) / elapsed;
}

// The ceiling: same sockets, same batching, same cipher, no FMP.
double run_baseline(double secs, size_t payload) {
  auto mk = [] {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int sz = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    return fd;
  };
  int rfd = mk(), sfd = mk();
  sockaddr_in raddr{};
  socklen_t rl = sizeof raddr;
  getsockname(rfd, reinterpret_cast<sockaddr*>(&raddr), &rl);
  Key32 k;
  random_bytes(k.mut_span());
  const size_t frame = 16 + payload + 4 + 16;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> got{0};
  std::thread rx([&] {
    AeadKey key(k);
    constexpr int B = 32;
    std::vector<std::vector<uint8_t>> bufs(B, std::vector<uint8_t>(2048));
    mmsghdr msgs[B];
    iovec iov[B];
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < B; ++i) {
        iov[i] = {bufs[static_cast<size_t>(i)].data(), 2048};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      int n = recvmmsg(rfd, msgs, B, 0, nullptr);
      if (n <= 0) {
        usleep(50);
        continue;
      }
      for (int i = 0; i < n; ++i) {
        uint8_t* d = bufs[static_cast<size_t>(i)].data();
        const uint64_t ctr = load_u64le(d + 8);
        if (key.open(ctr, ByteSpan(d, 16), ByteSpan(d + 16, msgs[i].msg_len - 16), d + 16))
          got.fetch_add(1, std::memory_order_relaxed);
      }
    }
  });
  AeadKey key(k);
  constexpr int B = 64;
  std::vector<std::vector<uint8_t>> bufs(B, std::vector<uint8_t>(frame));
  mmsghdr msgs[B];
  iovec iov[B];
  uint64_t ctr = 0;
  const uint64_t start = got.load();
  const auto t0 = Clock::now();
  const auto t_end = t0 + std::chrono::duration<double>(secs);
  while (Clock::now() < t_end) {
    for (int i = 0; i < B; ++i) {
      uint8_t* d = bufs[static_cast<size_t>(i)].data();
      std::memset(d, 0, 16);
      store_u64le(d + 8, ctr);
      std::memset(d + 16, 0xAB, payload + 4);
      (void)key.seal(ctr, ByteSpan(d, 16), ByteSpan(d + 16, payload + 4), d + 16);
      ++ctr;
      iov[i] = {d, frame};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &raddr;
      msgs[i].msg_hdr.msg_namelen = sizeof raddr;
    }
    int off = 0;
    while (off < B) {
      int n = sendmmsg(sfd, msgs + off, static_cast<unsigned>(B - off), 0);
      if (n <= 0) {
        usleep(20);
        continue;
      }
      off += n;
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  rx.join();
  close(rfd);
  close(sfd);
  return static_cast<double>(got.load() - start) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  const double secs = argc > 1 ? std::atof(argv[1]) : 3.0;
  const size_t payload = argc > 2 ? static_cast<size_t>(std::atoi(argv[2])) : 1400;
  const double base = run_baseline(secs, payload);
  const double fmp = run_fmp(secs, payload);
  std::printf("established-frame path, %zu-byte payload, UDP loopback, %.1f s each\n", payload, secs);
  std::printf("| path | frames/s | Gbit/s payload | ratio |\n|---|---|---|---|\n");
  std::printf("| baseline: sendmmsg/recvmmsg + ChaCha20-Poly1305 | %.0f | %.2f | 1.00 |\n", base,
              base * static_cast<double>(payload) * 8 / 1e9);
  std::printf("| fips C++ FMP link (two nodes, one thread each) | %.0f | %.2f | %.2f |\n", fmp,
              fmp * static_cast<double>(payload) * 8 / 1e9, fmp / base);
  return 0;
}
