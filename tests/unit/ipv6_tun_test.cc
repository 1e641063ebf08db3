// ROOT ONLY: the TUN device against the real kernel, each case in a fresh
// network namespace owned by one test thread (unshare(CLONE_NEWNET) applies
// to the calling thread only; the `ip` commands it spawns inherit it).
// Skipped with a message when not root or /dev/net/tun is missing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "identity/identity.h"
#include "ipv6/checksum.h"
#include "ipv6/icmp.h"
#include "ipv6/netlink.h"
#include "ipv6/tun.h"
#include "ipv6_test_util.h"

namespace fips::ipv6 {
namespace {

using namespace test6;

std::string skip_reason() {
  if (geteuid() != 0) return "needs root: creates TUN interfaces in a new network namespace";
  if (access("/dev/net/tun", R_OK | W_OK) != 0)
    return "/dev/net/tun is missing (tun module not loaded?)";
  return {};
}

// Runs body on a thread that lives in a new network namespace. Returns an
// empty string, or why the namespace could not be made (then the test skips).
template <class F>
std::string in_fresh_netns(F&& body) {
  std::string err;
  std::thread t([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      err = std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
      return;
    }
    body();
  });
  t.join();
  return err;
}

std::string sh(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return out;
  char buf[512];
  while (fgets(buf, sizeof buf, f)) out += buf;
  const int st = pclose(f);
  if (status) *status = st;
  return out;
}

std::map<std::string, uint64_t> snmp6() {
  std::map<std::string, uint64_t> m;
  std::ifstream f("/proc/thread-self/net/snmp6");
  std::string k;
  uint64_t v;
  while (f >> k >> v) m[k] = v;
  return m;
}

struct CaptureSink : TunSink {
  std::vector<Bytes> packets;
  std::vector<size_t> headrooms;
  int bursts = 0;
  void on_tun_packet(PacketBuf&& p) override {
    packets.emplace_back(p.data(), p.data() + p.size());
    headrooms.push_back(p.headroom());
  }
  void on_tun_burst_end() override { ++bursts; }
};

PacketBuf to_buf(BufferPool& pool, const Bytes& b) {
  PacketBuf p = pool.acquire();
  EXPECT_TRUE(p.set(128, b.size()));
  std::copy(b.begin(), b.end(), p.data());
  return p;
}

sockaddr_in6 sa6(const A16& a, uint16_t port) {
  sockaddr_in6 s{};
  s.sin6_family = AF_INET6;
  s.sin6_port = htons(port);
  std::memcpy(&s.sin6_addr, a.data(), 16);
  return s;
}

void bring_lo_up() {
  auto nl = Rtnl::open();
  ASSERT_TRUE(nl.ok());
  ASSERT_TRUE(nl->set_link_up(if_nametoindex("lo")).ok());
}

// Waits (bounded) until pred() holds, turning the loop meanwhile.
template <class P>
bool wait_for(EventLoop& loop, P pred) {
  for (int i = 0; i < 40 && !pred(); ++i) loop.run_once(50);
  return pred();
}

void tun_lifecycle_body(bool offload) {
  bring_lo_up();
  EventLoop loop;
  BufferPool pool(64, 2048, 128);
  CaptureSink sink;
  TunOptions opts;
  opts.offload = offload;
  TunDevice tun(loop, pool, sink, opts);
  const Identity me = Identity::generate();
  const FipsAddress addr = me.address();
  TunConfig cfg;
  cfg.name = "fipst0";
  cfg.mtu = 1280;
  auto r = tun.start(cfg, addr);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(tun.state(), TunState::kActive);
  ASSERT_GT(tun.ifindex(), 0u);
  EXPECT_EQ(if_nametoindex("fipst0"), tun.ifindex());

  // Configuration as the kernel reports it.
  const std::string a = sh("ip -6 addr show dev fipst0");
  EXPECT_NE(a.find(addr.str() + "/128"), std::string::npos) << a;
  const std::string rt = sh("ip -6 route show dev fipst0");
  EXPECT_NE(rt.find("fd00::/8"), std::string::npos) << rt;
  const std::string l = sh("ip link show dev fipst0");
  EXPECT_NE(l.find("mtu 1280"), std::string::npos) << l;
  EXPECT_NE(l.find(",UP"), std::string::npos) << l;
  const std::string rule = sh("ip -6 rule show");
  EXPECT_NE(rule.find("5265:"), std::string::npos) << rule;
  EXPECT_NE(rule.find("to fd00::/8 lookup main"), std::string::npos) << rule;

  // Kernel -> TUN: a datagram to another fd address is routed into the TUN.
  const A16 remote = test6::addr("fd00::1234:5678");
  const int us = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(us, 0);
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  ASSERT_EQ(bind(us, reinterpret_cast<sockaddr*>(&any), sizeof any), 0);
  socklen_t alen = sizeof any;
  ASSERT_EQ(getsockname(us, reinterpret_cast<sockaddr*>(&any), &alen), 0);
  const uint16_t local_port = ntohs(any.sin6_port);
  const sockaddr_in6 to = sa6(remote, 9999);
  ASSERT_EQ(sendto(us, "hello", 5, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to), 5)
      << strerror(errno);
  // The kernel may also emit router solicitations etc.; find our datagram.
  auto find_udp = [&]() -> const Bytes* {
    for (const Bytes& p : sink.packets)
      if (p.size() == 53 && p[6] == 17 && std::equal(remote.begin(), remote.end(), p.begin() + 24))
        return &p;
    return nullptr;
  };
  ASSERT_TRUE(wait_for(loop, [&] { return find_udp() != nullptr; }))
      << sink.packets.size() << " packets";
  const Bytes out = *find_udp();
  EXPECT_EQ(out[0] >> 4, 6);
  EXPECT_TRUE(std::equal(addr.bytes.begin(), addr.bytes.end(), out.begin() + 8));
  EXPECT_EQ(std::string(out.begin() + 48, out.end()), "hello");
  // With offloads the kernel leaves the checksum partial and the device
  // completes it; without, the kernel does. Either way it verifies.
  EXPECT_TRUE(checksum_ok(out));
  if (tun.offloading()) {
    EXPECT_GE(tun.counters().rx_csum_completed, 1u);
  }
  EXPECT_EQ(sink.headrooms.front(), 128u);
  EXPECT_GE(sink.bursts, 1);
  EXPECT_GE(tun.counters().rx_packets, 1u);

  // TUN -> kernel: the reverse datagram is delivered to the socket.
  Bytes in = udp(remote, addr.bytes, {'w', 'o', 'r', 'l', 'd'}, 9999, local_port);
  ASSERT_TRUE(tun.write(to_buf(pool, in)));
  timeval tv{2, 0};
  setsockopt(us, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char got[16] = {};
  sockaddr_in6 from{};
  socklen_t flen = sizeof from;
  ASSERT_EQ(recvfrom(us, got, sizeof got, 0, reinterpret_cast<sockaddr*>(&from), &flen), 5)
      << strerror(errno);
  EXPECT_EQ(std::string(got, 5), "world");
  EXPECT_EQ(std::memcmp(&from.sin6_addr, remote.data(), 16), 0);
  EXPECT_EQ(tun.counters().tx_packets, 1u);

  // Our ICMPv6 errors pass the kernel's checksum validation; a corrupted one
  // does not (so this check can fail).
  const auto before = snmp6();
  Bytes du(1280), ptb(1280);
  auto dn = build_dest_unreachable(out, remote, du);
  auto pn = build_packet_too_big(out, 1280, ptb);
  ASSERT_TRUE(dn.ok() && pn.ok());
  du.resize(*dn);
  ptb.resize(*pn);
  Bytes bad = du;
  bad[42] ^= 0x01;
  ASSERT_TRUE(tun.write(to_buf(pool, du)));
  ASSERT_TRUE(tun.write(to_buf(pool, ptb)));
  ASSERT_TRUE(tun.write(to_buf(pool, bad)));
  const bool seen = wait_for(loop, [&] {
    auto now = snmp6();
    return now["Icmp6InDestUnreachs"] >= before.at("Icmp6InDestUnreachs") + 1 &&
           now["Icmp6InPktTooBigs"] >= before.at("Icmp6InPktTooBigs") + 1 &&
           now["Icmp6InCsumErrors"] >= before.at("Icmp6InCsumErrors") + 1;
  });
  auto after = snmp6();
  EXPECT_TRUE(seen);
  EXPECT_EQ(after["Icmp6InDestUnreachs"], before.at("Icmp6InDestUnreachs") + 1);
  EXPECT_EQ(after["Icmp6InPktTooBigs"], before.at("Icmp6InPktTooBigs") + 1);
  EXPECT_EQ(after["Icmp6InCsumErrors"], before.at("Icmp6InCsumErrors") + 1);

  // Something that is not an IP packet: the kernel refuses it, counted.
  EXPECT_FALSE(tun.write(to_buf(pool, Bytes(40, 0x00))));
  EXPECT_EQ(tun.counters().tx_errors, 1u);
  close(us);

  tun.stop();
  EXPECT_EQ(if_nametoindex("fipst0"), 0u);
  EXPECT_EQ(tun.state(), TunState::kConfigured);
  EXPECT_FALSE(tun.write(to_buf(pool, in)));
  EXPECT_EQ(pool.available(), pool.total());
}

TEST(Ipv6TunRoot, CreatesConfiguresCarriesAndDeletesInAFreshNetns) {
  if (auto why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  if (auto err = in_fresh_netns([] { tun_lifecycle_body(true); }); !err.empty()) GTEST_SKIP() << err;
}

TEST(Ipv6TunRoot, WithoutOffloadsTheSameHolds) {
  if (auto why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  if (auto err = in_fresh_netns([] { tun_lifecycle_body(false); }); !err.empty()) GTEST_SKIP() << err;
}

TEST(Ipv6TunRoot, ExistingInterfaceIsReplacedAndOnlyOurOwnIsDeleted) {
  if (auto why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  auto err = in_fresh_netns([] {
    EventLoop loop;
    BufferPool pool(8, 2048, 128);
    CaptureSink sink;
    TunDevice first(loop, pool, sink), second(loop, pool, sink);
    TunConfig cfg;
    cfg.name = "fipst1";
    const FipsAddress addr = Identity::generate().address();
    ASSERT_TRUE(first.start(cfg, addr).ok());
    const uint32_t old_index = first.ifindex();
    auto r = second.start(cfg, addr);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_NE(second.ifindex(), old_index);
    EXPECT_EQ(if_nametoindex("fipst1"), second.ifindex());
    first.stop();  // its interface is gone already; must not delete the new one
    EXPECT_EQ(if_nametoindex("fipst1"), second.ifindex());
    // Deleted from outside: the device notices, stops polling, reports failed.
    int st = 0;
    sh("ip link del fipst1", &st);
    ASSERT_EQ(st, 0);
    for (int i = 0; i < 5; ++i) loop.run_once(20);
    EXPECT_EQ(second.state(), TunState::kFailed);
    EXPECT_EQ(second.counters().rx_errors, 1u);
    EXPECT_FALSE(second.write(PacketBuf{}));
    second.stop();
    EXPECT_EQ(if_nametoindex("fipst1"), 0u);
  });
  if (!err.empty()) GTEST_SKIP() << err;
}

// A device whose write(2) can be made to say EAGAIN, to drive the ring.
struct BlockingTun : TunDevice {
  using TunDevice::TunDevice;
  bool block = false;
  ssize_t sys_writev(int fd, const iovec* iov, int n) override {
    if (block) {
      errno = EAGAIN;
      return -1;
    }
    return TunDevice::sys_writev(fd, iov, n);
  }
};

TEST(Ipv6TunRoot, WritesWaitInABoundedRingUntilWritable) {
  if (auto why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  auto err = in_fresh_netns([] {
    bring_lo_up();
    EventLoop loop;
    BufferPool pool(16, 2048, 128);
    CaptureSink sink;
    TunOptions opts;
    opts.write_queue = 3;
    BlockingTun tun(loop, pool, sink, opts);
    TunConfig cfg;
    cfg.name = "fipst3";
    const FipsAddress me = Identity::generate().address();
    auto r = tun.start(cfg, me);
    ASSERT_TRUE(r.ok()) << r.error();
    const int us = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 any{};
    any.sin6_family = AF_INET6;
    ASSERT_EQ(bind(us, reinterpret_cast<sockaddr*>(&any), sizeof any), 0);
    socklen_t alen = sizeof any;
    ASSERT_EQ(getsockname(us, reinterpret_cast<sockaddr*>(&any), &alen), 0);
    const A16 remote = test6::addr("fd00::99");

    tun.block = true;
    for (uint8_t i = 0; i < 3; ++i)
      EXPECT_TRUE(tun.write(to_buf(pool, udp(remote, me.bytes, {i}, 7, ntohs(any.sin6_port)))));
    EXPECT_EQ(tun.queued(), 3u);
    EXPECT_FALSE(tun.write(to_buf(pool, udp(remote, me.bytes, {9}, 7, ntohs(any.sin6_port)))));
    EXPECT_EQ(tun.counters().tx_queue_full, 1u);
    EXPECT_EQ(tun.counters().tx_blocked, 1u);
    loop.run_once(0);  // EPOLLOUT fires, the write still says EAGAIN
    EXPECT_EQ(tun.queued(), 3u);
    tun.block = false;
    ASSERT_TRUE(wait_for(loop, [&] { return tun.queued() == 0; }));
    EXPECT_EQ(tun.counters().tx_packets, 3u);
    timeval tv{2, 0};
    setsockopt(us, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (uint8_t i = 0; i < 3; ++i) {  // in order
      uint8_t b = 0xFF;
      ASSERT_EQ(recv(us, &b, 1, 0), 1) << "Ip6InAddrErrors " << snmp6()["Ip6InAddrErrors"];
      EXPECT_EQ(b, i);
    }
    close(us);
    tun.stop();
    EXPECT_EQ(pool.available(), pool.total());
  });
  if (!err.empty()) GTEST_SKIP() << err;
}

TEST(Ipv6TunRoot, ClearErrorsWithoutCapNetAdminOrWithIpv6Disabled) {
  if (auto why = skip_reason(); !why.empty()) GTEST_SKIP() << why;
  auto err = in_fresh_netns([] {
    EventLoop loop;
    BufferPool pool(8, 2048, 128);
    CaptureSink sink;
    TunConfig cfg;
    cfg.name = "fipst2";
    const FipsAddress addr = Identity::generate().address();

    {  // Bad settings are refused before touching the kernel.
      TunDevice t(loop, pool, sink);
      TunConfig bad = cfg;
      bad.name = "much-too-long-name0";
      auto r = t.start(bad, addr);
      ASSERT_FALSE(r.ok());
      EXPECT_NE(r.error().find("not a valid interface name"), std::string::npos) << r.error();
      bad = cfg;
      bad.mtu = 1279;
      r = t.start(bad, addr);
      ASSERT_FALSE(r.ok());
      EXPECT_NE(r.error().find("below the IPv6 minimum"), std::string::npos) << r.error();
      EXPECT_EQ(t.state(), TunState::kFailed);
    }
    {  // IPv6 switched off in this namespace.
      std::ofstream("/proc/sys/net/ipv6/conf/all/disable_ipv6") << "1";
      TunDevice t(loop, pool, sink);
      auto r = t.start(cfg, addr);
      ASSERT_FALSE(r.ok());
      EXPECT_NE(r.error().find("IPv6 is disabled"), std::string::npos) << r.error();
      EXPECT_EQ(t.state(), TunState::kFailed);
      std::ofstream("/proc/sys/net/ipv6/conf/all/disable_ipv6") << "0";
    }
    {  // Capabilities are per thread: drop CAP_NET_ADMIN from this one.
      __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
      __user_cap_data_struct data[2]{};
      ASSERT_EQ(syscall(SYS_capget, &hdr, data), 0);
      data[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
      ASSERT_EQ(syscall(SYS_capset, &hdr, data), 0);
      TunDevice t(loop, pool, sink);
      auto r = t.start(cfg, addr);
      ASSERT_FALSE(r.ok());
      EXPECT_NE(r.error().find("CAP_NET_ADMIN"), std::string::npos) << r.error();
      EXPECT_EQ(t.state(), TunState::kFailed);
      EXPECT_EQ(if_nametoindex("fipst2"), 0u);
    }
  });
  if (!err.empty()) GTEST_SKIP() << err;
}

}  // namespace
}  // namespace fips::ipv6
