// fips-swarm: many real peers on one daemon, for the scale figures of issue
// 14 (bench/scale_links.sh, docs/PERFORMANCE.md "One node, many links").
// Loopback or namespaces only.
//
//   fips-swarm --to 127.0.0.1:PORT --npub NPUB --peers N [options]
//
// Each peer is a fresh identity with its own UDP socket (bound to
// 127.0.0.0/8 addresses from --from on, --per-host sockets per address, so
// the target's per-host msg1 budget does not pace the ramp). It sends a
// Noise IK msg1 (docs/spec/fmp-link.md), reads the msg2, derives the link
// keys and from then on sends one encrypted Heartbeat every --heartbeat
// seconds (the reference's interval is 10 s), so the target keeps the link
// past its dead timeout. What the target sends (heartbeats, tree and filter
// announces, MMP reports) is read and discarded undecrypted; a Disconnect
// cannot be told apart, so a peer the target dropped is seen only in its own
// peer count. A msg1 is resent (the same bytes) every 2 s until a msg2
// arrives; at most --in-flight (256) handshakes are outstanding at once.
//
// Prints one line when all peers are linked (or --ramp seconds passed): how
// many, how long, handshakes per second; then holds the links for --hold
// seconds and exits (SIGTERM/SIGINT end the hold early).
//
// Not here: sessions (FSP), tree or bloom participation (a swarm peer never
// announces anything, so it is a leaf the target routes nothing through),
// replies to the target's MMP reports.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "crypto/random.h"
#include "identity/identity.h"
#include "noise/handshake.h"
#include "noise/transport.h"
#include "proto/fmp/wire.h"
#include "util/bytes.h"
#include "tools/ipv4_addr.h"

namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Options {
  std::string to, npub, from = "127.0.1.1";
  uint64_t peers = 100, per_host = 8, in_flight = 256;
  double ramp = 120, hold = 60, heartbeat = 10;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "fips-swarm: %s\nusage: fips-swarm --to HOST:PORT --npub NPUB [--peers N] "
               "[--from IP] [--per-host K] [--in-flight K] [--ramp S] [--hold S] [--heartbeat S]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + k).c_str());
    const char* v = argv[++i];
    if (k == "--to") o.to = v;
    else if (k == "--npub") o.npub = v;
    else if (k == "--from") o.from = v;
    else if (k == "--peers") o.peers = std::strtoull(v, nullptr, 10);
    else if (k == "--per-host") o.per_host = std::strtoull(v, nullptr, 10);
    else if (k == "--in-flight") o.in_flight = std::max<uint64_t>(std::strtoull(v, nullptr, 10), 1);
    else if (k == "--ramp") o.ramp = std::strtod(v, nullptr);
    else if (k == "--hold") o.hold = std::strtod(v, nullptr);
    else if (k == "--heartbeat") o.heartbeat = std::strtod(v, nullptr);
    else usage(("unknown option " + k).c_str());
  }
  if (o.to.empty() || o.npub.empty()) usage("--to and --npub are required");
  if (o.peers == 0 || o.peers > 60000) usage("--peers must be in [1, 60000]");
  if (!(o.ramp > 0 && o.ramp <= 900) || !(o.hold >= 0 && o.hold <= 900))
    usage("--ramp in (0, 900], --hold in [0, 900]");
  if (!(o.heartbeat >= 1)) usage("--heartbeat must be >= 1 s");
  o.per_host = std::max<uint64_t>(o.per_host, 1);
  return o;
}

struct SwarmPeer {
  std::optional<fips::Identity> id;
  int fd = -1;
  uint32_t our_idx = 0, their_idx = 0;
  std::optional<fips::HandshakeState> hs;
  std::optional<fips::NoiseTransport> keys;
  std::array<uint8_t, fips::fmp::kMsg1WireSize> msg1{};  // resent as is until a msg2 answers
  Clock::time_point next_send{};
  Clock::time_point start{};
};

}  // namespace

int main(int argc, char** argv) {
  using namespace fips;
  const Options o = parse(argc, argv);
  sockaddr_in dst{};
  if (!tools::parse_ipv4_addr(o.to, dst)) usage("--to must be IPv4 HOST:PORT");
  auto target_id = PeerIdentity::from_npub(o.npub);
  if (!target_id) usage("--npub does not parse");
  const CompressedKey target = target_id->compressed();
  in_addr base_addr{};
  if (inet_pton(AF_INET, o.from.c_str(), &base_addr) != 1) usage("--from must be an IPv4 address");

  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < o.peers + 64) {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, o.peers + 64);
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur < o.peers + 64) {
    std::fprintf(stderr, "fips-swarm: RLIMIT_NOFILE %llu is below %llu peers\n",
                 static_cast<unsigned long long>(rl.rlim_cur), static_cast<unsigned long long>(o.peers));
    return 1;
  }

  const int ep = epoll_create1(0);
  std::vector<SwarmPeer> peers(o.peers);
  Epoch epoch{};
  random_bytes(epoch);
  for (uint64_t i = 0; i < o.peers; ++i) {
    SwarmPeer& p = peers[i];
    p.id.emplace(Identity::generate());
    p.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (p.fd < 0) {
      std::perror("socket");
      return 1;
    }
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(ntohl(base_addr.s_addr) + static_cast<uint32_t>(i / o.per_host));
    if (bind(p.fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) < 0 ||
        connect(p.fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst) < 0) {
      std::perror("bind/connect");
      return 1;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, p.fd, &ev);
    p.our_idx = static_cast<uint32_t>(i + 1);
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);

  const auto t0 = Clock::now();
  auto secs = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  uint64_t linked = 0, msg1_sent = 0, heartbeats = 0, rx_frames = 0, bad = 0;
  std::optional<double> ramp_done;
  std::array<uint8_t, 2048> buf{};

  // The first msg1 starts the handshake; a resend repeats the same bytes (a
  // new ephemeral would make the msg2 answering the first one unreadable).
  auto send_msg1 = [&](SwarmPeer& p, Clock::time_point now) {
    if (!p.hs) {
      p.hs.emplace(HandshakeState::ik_initiator(*p.id, target, epoch));
      std::array<uint8_t, kIkMsg1Size> noise{};
      if (!p.hs->write_message(noise)) return;
      Writer w(p.msg1);
      if (!fmp::encode_msg1(w, p.our_idx, noise)) return;
    }
    (void)send(p.fd, p.msg1.data(), p.msg1.size(), 0);
    ++msg1_sent;
    p.next_send = now + secs(2);
  };
  auto send_heartbeat = [&](SwarmPeer& p, Clock::time_point now) {
    std::array<uint8_t, fmp::kEstablishedHeaderSize + 5 + kAeadTagSize> f{};
    auto c = p.keys->take_send_counter();
    if (!c) return;
    fmp::EstablishedHeader h{0, 5, p.their_idx, *c};
    fmp::encode_established_header(h, std::span<uint8_t, 16>(f.data(), 16));
    uint8_t* plain = f.data() + fmp::kEstablishedHeaderSize;
    store_u32le(plain, static_cast<uint32_t>(
                           std::chrono::duration_cast<std::chrono::milliseconds>(now - p.start).count()));
    plain[4] = static_cast<uint8_t>(fmp::LinkMsgType::kHeartbeat);
    if (!p.keys->seal_with(*c, ByteSpan(f.data(), fmp::kEstablishedHeaderSize), ByteSpan(plain, 5), plain))
      return;
    (void)send(p.fd, f.data(), f.size(), 0);
    ++heartbeats;
    // Spread the peers' heartbeats over the interval, as independent peers would.
    p.next_send = now + secs(o.heartbeat * (0.75 + 0.5 * static_cast<double>(p.our_idx % 97) / 97.0));
  };

  uint64_t started = 0;
  std::vector<epoll_event> evs(1024);
  for (;;) {
    const auto now = Clock::now();
    const double t = std::chrono::duration<double>(now - t0).count();
    if (g_stop) break;
    if (!ramp_done && (linked == o.peers || t >= o.ramp)) {
      ramp_done = t;
      std::printf("fips-swarm: %llu of %llu peers linked in %.1f s (%.0f handshakes/s), %llu msg1 sent\n",
                  static_cast<unsigned long long>(linked), static_cast<unsigned long long>(o.peers), t,
                  static_cast<double>(linked) / t, static_cast<unsigned long long>(msg1_sent));
      std::fflush(stdout);
    }
    if (ramp_done && t >= *ramp_done + o.hold) break;
    // At most --in-flight handshakes outstanding, so the target's socket
    // buffer and CPU see a stream it can answer, not N at once.
    while (started < o.peers && started - linked < o.in_flight) send_msg1(peers[started++], now);
    for (uint64_t i = 0; i < started; ++i) {
      SwarmPeer& p = peers[i];
      if (p.next_send > now) continue;
      if (p.keys) send_heartbeat(p, now);
      else send_msg1(p, now);
    }
    const int n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 20);
    for (int e = 0; e < n; ++e) {
      SwarmPeer& p = peers[evs[static_cast<size_t>(e)].data.u64];
      for (;;) {
        const ssize_t r = recv(p.fd, buf.data(), buf.size(), 0);
        if (r <= 0) break;
        const ByteSpan pkt(buf.data(), static_cast<size_t>(r));
        if (p.keys) {
          ++rx_frames;
          continue;
        }
        auto m2 = fmp::decode_msg2(pkt);
        if (!m2 || m2->receiver_idx != p.our_idx || !p.hs || !p.hs->read_message(m2->noise_msg2)) {
          ++bad;
          continue;
        }
        auto res = p.hs->split();
        if (!res) {
          ++bad;
          continue;
        }
        p.keys.emplace(std::move(*res));
        p.their_idx = m2->sender_idx;
        p.start = Clock::now();
        p.hs.reset();
        ++linked;
        send_heartbeat(p, p.start);  // our first frame proves we hold the keys
      }
    }
  }
  const double t = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("fips-swarm: done after %.1f s: %llu linked, %llu heartbeats sent, %llu frames received, "
              "%llu bad replies\n",
              t, static_cast<unsigned long long>(linked), static_cast<unsigned long long>(heartbeats),
              static_cast<unsigned long long>(rx_frames), static_cast<unsigned long long>(bad));
  for (auto& p : peers) close(p.fd);
  close(ep);
  return 0;
}
