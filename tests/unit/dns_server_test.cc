// DNS responder on real loopback sockets (ephemeral ports, bounded loops):
// IPv6 and IPv4 clients, the dual-stack socket, the mesh-interface filter
// (loopback standing in for the TUN), malformed and oversize datagrams, the
// per-event cap, hosts-file reload between queries, start-up errors.
#include "ipv6/dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>

#include "test_util.h"
#include "transport/sockopt.h"

namespace fips::dns {
namespace {

namespace fs = std::filesystem;
using test::hex;

constexpr const char* kNpub = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg";
constexpr const char* kAddr = "fd74534fb5959a5d89cd740363ba2737";
constexpr const char* kNpubB = "npub1rwzv24nmzfjypx2a8m264ws9vht3uxp5vpypnluuzl67n4waq78suk0wul";
constexpr const char* kAddrB = "fdec3925bdbd24aa1cfd002f9ccf52f2";

bool have_ipv6_loopback() {
  UniqueFd s = sock::open(AF_INET6, SOCK_DGRAM);
  if (!s) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  return ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

std::vector<uint8_t> query(std::string_view name, uint16_t qtype, uint16_t id = 0x1234) {
  std::vector<uint8_t> out(kMaxQuerySize);
  auto n = encode_query(id, 0x0100, name, qtype, kClassIN, out);
  EXPECT_TRUE(n.ok());
  out.resize(n.ok() ? *n : 0);
  return out;
}

// A blocking-free UDP client on loopback (v4 or v6).
class Client {
 public:
  Client(bool v6, uint16_t server_port) {
    fd_ = sock::open(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM);
    if (v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&to_);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      a->sin6_port = htons(server_port);
      len_ = sizeof(sockaddr_in6);
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&to_);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a->sin_port = htons(server_port);
      len_ = sizeof(sockaddr_in);
    }
  }
  bool send(const std::vector<uint8_t>& m) {
    return ::sendto(fd_.get(), m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&to_), len_) ==
           static_cast<ssize_t>(m.size());
  }
  // Non-blocking: a reply is in the queue as soon as the server's sendto returned.
  std::optional<std::vector<uint8_t>> try_recv() {
    std::vector<uint8_t> buf(2048);
    const ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<size_t>(n));
    return buf;
  }

 private:
  UniqueFd fd_;
  sockaddr_storage to_{};
  socklen_t len_ = 0;
};

struct Harness {
  EventLoop loop;
  std::vector<std::string> resolved;
  std::unique_ptr<DnsServer> server;

  explicit Harness(DnsServerOptions o, HostMap base = {}) {
    server = std::make_unique<DnsServer>(loop, std::move(o), std::move(base),
                                         [this](const PeerIdentity& id, uint64_t) {
                                           resolved.push_back(id.npub());
                                         });
  }
  uint16_t port() const { return server->local_addr().port(); }
  // Runs the loop until the client has a reply or 2 s passed.
  std::optional<std::vector<uint8_t>> roundtrip(Client& c, const std::vector<uint8_t>& q) {
    if (!c.send(q)) return std::nullopt;
    for (int i = 0; i < 20; ++i) {
      loop.run_once(100);
      if (auto r = c.try_recv()) return r;
    }
    return std::nullopt;
  }
};

DnsServerOptions opts(const std::string& bind) {
  DnsServerOptions o;
  o.bind_addr = bind;
  o.port = 0;
  o.hosts_path = "/nonexistent/fips-test-hosts";
  return o;
}

std::string aaaa_reply_hex(const std::vector<uint8_t>& q, const char* addr) {
  return hex(std::span<const uint8_t>(q).first(2)) + "84000001000100000000" +
         hex(std::span<const uint8_t>(q).subspan(kHeaderSize)) + "c00c001c00010000012c0010" + addr;
}

TEST(DnsServer, AnswersOverIpv6Loopback) {
  if (!have_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  Harness h(opts("::1"));
  ASSERT_TRUE(h.server->start().ok());
  ASSERT_NE(h.port(), 0);
  EXPECT_EQ(h.server->local_addr().str(), "[::1]:" + std::to_string(h.port()));
  Client c(true, h.port());
  auto q = query(std::string(kNpub) + ".fips", kTypeAAAA);
  auto r = h.roundtrip(c, q);
  ASSERT_TRUE(r);
  EXPECT_EQ(hex(*r), aaaa_reply_hex(q, kAddr));
  ASSERT_EQ(h.resolved.size(), 1u);
  EXPECT_EQ(h.resolved[0], kNpub);

  auto nx = query("example.com", kTypeAAAA, 0x0042);
  r = h.roundtrip(c, nx);
  ASSERT_TRUE(r);
  EXPECT_EQ(hex(*r).substr(0, 24), "004284030001000000000000");
  EXPECT_EQ(h.server->responder().counters().nxdomain, 1u);
  EXPECT_EQ(h.server->counters().datagrams, 2u);
}

TEST(DnsServer, AnswersOverIpv4) {
  Harness h(opts("127.0.0.1"));
  ASSERT_TRUE(h.server->start().ok());
  Client c(false, h.port());
  auto q = query(std::string(kNpub) + ".fips", kTypeAAAA);
  auto r = h.roundtrip(c, q);
  ASSERT_TRUE(r);
  EXPECT_EQ(hex(*r), aaaa_reply_hex(q, kAddr));
}

TEST(DnsServer, DualStackSocketTakesIpv4) {
  if (!have_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  // An AF_INET6 socket (IPV6_V6ONLY=0) on the v4-mapped loopback address.
  Harness h(opts("::ffff:127.0.0.1"));
  ASSERT_TRUE(h.server->start().ok());
  Client c(false, h.port());
  auto q = query(std::string(kNpub) + ".fips", kTypeA);
  auto r = h.roundtrip(c, q);
  ASSERT_TRUE(r);
  EXPECT_EQ(hex(*r).substr(0, 24), "123484000001000000000000");
}

TEST(DnsServer, MeshInterfaceQueriesAreDropped) {
  if (!have_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  auto o = opts("::1");
  o.mesh_interface = "lo";  // loopback plays the TUN
  Harness h(o);
  ASSERT_TRUE(h.server->start().ok());
  ASSERT_TRUE(h.server->mesh_ifindex().has_value());
  Client c(true, h.port());
  ASSERT_TRUE(c.send(query(std::string(kNpub) + ".fips", kTypeAAAA)));
  h.server->on_readable();  // the datagram is queued once sendto returned
  EXPECT_EQ(h.server->counters().datagrams, 1u);
  EXPECT_EQ(h.server->counters().mesh_dropped, 1u);
  EXPECT_FALSE(c.try_recv());
  EXPECT_TRUE(h.resolved.empty());
  EXPECT_EQ(h.server->responder().counters().queries, 0u);
}

TEST(DnsServer, UnknownMeshInterfaceMeansNoFilter) {
  if (!have_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  auto o = opts("::1");
  o.mesh_interface = "fips-test-none0";
  Harness h(o);
  ASSERT_TRUE(h.server->start().ok());
  EXPECT_FALSE(h.server->mesh_ifindex().has_value());
  Client c(true, h.port());
  EXPECT_TRUE(h.roundtrip(c, query(std::string(kNpub) + ".fips", kTypeAAAA)));
}

TEST(DnsServer, MalformedAndOversizeGetNoReply) {
  Harness h(opts("127.0.0.1"));
  ASSERT_TRUE(h.server->start().ok());
  Client c(false, h.port());
  ASSERT_TRUE(c.send({0x12, 0x34, 0x01}));                    // short header
  auto big = query(std::string(kNpub) + ".fips", kTypeAAAA);
  big.resize(600, 0);                                          // > 512: truncated on receive
  ASSERT_TRUE(c.send(big));
  ASSERT_TRUE(c.send(std::vector<uint8_t>{}));                 // empty datagram
  h.server->on_readable();
  EXPECT_FALSE(c.try_recv());
  EXPECT_EQ(h.server->counters().datagrams, 3u);
  EXPECT_EQ(h.server->counters().oversize, 1u);
  EXPECT_EQ(h.server->responder().counters().malformed, 2u);
  // Still serving.
  EXPECT_TRUE(h.roundtrip(c, query(std::string(kNpub) + ".fips", kTypeAAAA)));
}

TEST(DnsServer, BoundedWorkPerReadinessEvent) {
  Harness h(opts("127.0.0.1"));
  ASSERT_TRUE(h.server->start().ok());
  Client c(false, h.port());
  const size_t total = kMaxQueriesPerEvent + 6;
  for (size_t i = 0; i < total; ++i)
    ASSERT_TRUE(c.send(query("x.fips", kTypeAAAA, static_cast<uint16_t>(i))));
  h.server->on_readable();
  EXPECT_EQ(h.server->counters().datagrams, kMaxQueriesPerEvent);
  EXPECT_EQ(h.server->counters().event_cap_hits, 1u);
  h.server->on_readable();
  EXPECT_EQ(h.server->counters().datagrams, total);
  size_t replies = 0;
  while (c.try_recv()) ++replies;
  EXPECT_EQ(replies, total);
}

TEST(DnsServer, HostsFileReloadBetweenQueries) {
  std::string dir = (fs::temp_directory_path() / "fips-dns-test-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/hosts";
  std::ofstream(path) << "gateway " << kNpub << "\n";
  auto o = opts("127.0.0.1");
  o.hosts_path = path;
  HostMap base;
  ASSERT_TRUE(base.insert("server2", kNpub).ok());
  Harness h(o, base);
  ASSERT_TRUE(h.server->start().ok());
  Client c(false, h.port());

  auto q = query("gateway.fips", kTypeAAAA);
  auto r = h.roundtrip(c, q);
  ASSERT_TRUE(r);
  EXPECT_EQ(hex(*r), aaaa_reply_hex(q, kAddr));

  // The file now maps server2 (overriding the peer alias) and drops gateway.
  std::ofstream(path, std::ios::trunc) << "server2 " << kNpubB << "\n# gone\n";
  auto q2 = query("server2.fips", kTypeAAAA);
  r = h.roundtrip(c, q2);
  ASSERT_TRUE(r);
  EXPECT_EQ(hex(*r), aaaa_reply_hex(q2, kAddrB));
  r = h.roundtrip(c, q);
  ASSERT_TRUE(r);
  EXPECT_EQ(hex(*r).substr(4, 4), "8403");
  EXPECT_EQ(h.server->counters().hosts_reloads, 2u);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST(DnsServer, StartErrors) {
  EventLoop loop;
  DnsServer bad(loop, opts("localhost"), {}, nullptr);
  auto r = bad.start();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(),
            "dns.bind_addr 'localhost' is not an IP address (e.g. \"::1\", \"127.0.0.1\" or "
            "\"::\")");
  EXPECT_FALSE(bad.running());

  DnsServer first(loop, opts("127.0.0.1"), {}, nullptr);
  ASSERT_TRUE(first.start().ok());
  auto o = opts("127.0.0.1");
  o.port = first.local_addr().port();
  DnsServer second(loop, o, {}, nullptr);
  auto e = second.start();
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find("bind"), std::string::npos) << e.error();
  EXPECT_NE(e.error().find("in use"), std::string::npos) << e.error();
  EXPECT_FALSE(first.start().ok());  // already started
  first.stop();
  EXPECT_FALSE(first.running());
}

TEST(DnsServer, OptionsFromConfig) {
  Config cfg;
  cfg.dns.bind_addr = "::";
  cfg.dns.port = 53;
  cfg.dns.ttl = 60;
  cfg.tun.name = "fips7";
  auto o = DnsServerOptions::from_config(cfg);
  EXPECT_EQ(o.bind_addr, "::");
  EXPECT_EQ(o.port, 53);
  EXPECT_EQ(o.responder.ttl, 60u);
  EXPECT_TRUE(o.responder.mixed_case_npub);
  EXPECT_EQ(o.mesh_interface, "fips7");
  EXPECT_EQ(o.hosts_path, kDefaultHostsPath);
}

}  // namespace
}  // namespace fips::dns
