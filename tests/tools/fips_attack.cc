// fips-attack: a bounded msg1 flood against one daemon, for the admission
// tests and figures of issue 15 (tests/integration/daemon_admission.sh,
// docs/PERFORMANCE.md "Under attack"). Loopback or namespaces only.
//
//   fips-attack msg1    --to 127.0.0.1:PORT --npub NPUB [options]
//   fips-attack garbage --to 127.0.0.1:PORT [options]
//
// msg1: valid Noise IK msg1 frames (docs/spec/fmp-link.md), each from a
// fresh identity, so every one that passes admission costs the target two
// Diffie-Hellmans and, below max_peers, a peer slot it holds until the dead
// timeout (the attacker never sends a frame after msg2). garbage: random
// 114-byte frames shaped like a msg1 (phase byte 0x01, right length): no
// cryptography on our side, a failed DH on the target's.
//
// Options: --rate N per second (0 = as fast as this one thread can),
// --burst N sent at once first, --duration S (required bound, <= 600),
// --sources K source ports used round-robin (default 64), --pool N
// identities made before the flood (default: burst + rate * duration, at
// most 4096; beyond it identities repeat with new ephemerals), --from IP
// source address to bind (e.g. 127.0.0.2, so the attacker is another host),
// --hosts K spreads the source ports over K consecutive IPv4 addresses from
// --from on (an attacker with many hosts).
// Not here: TCP squatting and idle control clients (their tests script them
// in Python), floods from authenticated peers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "crypto/random.h"
#include "identity/identity.h"
#include "noise/handshake.h"
#include "proto/fmp/wire.h"
#include "util/bytes.h"
#include "tools/ipv4_addr.h"

namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

// Garbage needs no cryptographic randomness, only speed (splitmix64).
struct FastRng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

struct Options {
  std::string mode, to, npub, from;
  double rate = 15, duration = 10;
  uint64_t burst = 0, sources = 64, pool = 0, hosts = 1;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "fips-attack: %s\nusage: fips-attack msg1|garbage --to HOST:PORT [--npub NPUB] "
               "[--rate N] [--burst N] [--duration S] [--sources K] [--pool N] [--from IP [--hosts K]]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  if (argc < 2) usage("no mode");
  Options o;
  o.mode = argv[1];
  if (o.mode != "msg1" && o.mode != "garbage") usage("mode is msg1 or garbage");
  for (int i = 2; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + k).c_str());
    const char* v = argv[++i];
    if (k == "--to") o.to = v;
    else if (k == "--npub") o.npub = v;
    else if (k == "--from") o.from = v;
    else if (k == "--hosts") o.hosts = std::strtoull(v, nullptr, 10);
    else if (k == "--rate") o.rate = std::strtod(v, nullptr);
    else if (k == "--burst") o.burst = std::strtoull(v, nullptr, 10);
    else if (k == "--duration") o.duration = std::strtod(v, nullptr);
    else if (k == "--sources") o.sources = std::strtoull(v, nullptr, 10);
    else if (k == "--pool") o.pool = std::strtoull(v, nullptr, 10);
    else usage(("unknown option " + k).c_str());
  }
  if (o.to.empty()) usage("--to is required");
  if (o.mode == "msg1" && o.npub.empty()) usage("msg1 needs --npub of the target");
  if (!(o.duration > 0 && o.duration <= 600)) usage("--duration must be in (0, 600]");
  if (o.rate < 0) usage("--rate must be >= 0");
  o.sources = std::clamp<uint64_t>(o.sources, 1, 1024);
  if (o.pool == 0) {
    const double want = static_cast<double>(o.burst) + o.rate * o.duration;
    o.pool = o.rate == 0 ? 4096 : static_cast<uint64_t>(std::min(want + 1, 4096.0));
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fips;
  const Options o = parse(argc, argv);
  sockaddr_in dst{};
  if (!tools::parse_ipv4_addr(o.to, dst)) usage("--to must be IPv4 HOST:PORT");

  std::vector<int> socks;
  for (uint64_t i = 0; i < o.sources; ++i) {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
      std::perror("socket");
      return 1;
    }
    socks.push_back(fd);
    if (!o.from.empty()) {
      sockaddr_in src{};
      src.sin_family = AF_INET;
      if (inet_pton(AF_INET, o.from.c_str(), &src.sin_addr) != 1) usage("--from must be an IPv4 address");
      const uint32_t base = ntohl(src.sin_addr.s_addr);
      src.sin_addr.s_addr = htonl(base + static_cast<uint32_t>(i % std::max<uint64_t>(o.hosts, 1)));
      if (bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) < 0) {
        std::perror("bind --from");
        return 1;
      }
    }
  }

  CompressedKey target{};
  std::vector<Identity> pool;
  Epoch epoch{};
  if (o.mode == "msg1") {
    auto id = PeerIdentity::from_npub(o.npub);
    if (!id) usage("--npub does not parse");
    target = id->compressed();
    pool.reserve(o.pool);
    for (uint64_t i = 0; i < o.pool; ++i) pool.push_back(Identity::generate());
    random_bytes(epoch);
  }

  std::array<uint8_t, fmp::kMsg1WireSize> frame{};
  std::array<uint8_t, kIkMsg1Size> noise{};
  FastRng rng{static_cast<uint64_t>(Clock::now().time_since_epoch().count())};
  auto shape_garbage = [](std::array<uint8_t, fmp::kMsg1WireSize>& f) {
    f[0] = 0x01;  // phase 1, version 0
    f[2] = static_cast<uint8_t>((fmp::kMsg1WireSize - 4) & 0xff);
    f[3] = static_cast<uint8_t>((fmp::kMsg1WireSize - 4) >> 8);
  };
  constexpr unsigned kBatch = 64;
  std::vector<std::array<uint8_t, fmp::kMsg1WireSize>> batch(kBatch);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  for (unsigned i = 0; i < kBatch; ++i) {
    iov[i] = {batch[i].data(), batch[i].size()};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_name = &dst;
    msgs[i].msg_hdr.msg_namelen = sizeof dst;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  uint64_t sent = 0, send_errors = 0;
  const auto start = Clock::now();
  auto after = [](double secs) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(secs));
  };
  const Clock::time_point end = start + after(o.duration);
  for (;;) {
    const auto now = Clock::now();
    if (now >= end || g_stop) break;
    if (o.rate > 0 && sent >= o.burst) {  // pace: message n is due at (n - burst) / rate
      const Clock::time_point due = start + after(static_cast<double>(sent - o.burst) / o.rate);
      if (due > now) {
        std::this_thread::sleep_for(std::min(due, end) - now);
        continue;
      }
    }
    if (o.mode == "msg1") {
      HandshakeState hs = HandshakeState::ik_initiator(pool[sent % pool.size()], target, epoch);
      if (!hs.write_message(noise)) return 1;
      uint32_t idx = 0;
      random_bytes(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&idx), sizeof idx));
      Writer w(frame);
      if (!fmp::encode_msg1(w, idx, noise)) return 1;
    } else if (o.rate == 0) {  // as fast as we can: batches of kBatch per sendmmsg
      for (auto& f : batch) {
        for (size_t i = 0; i + 8 <= f.size(); i += 8) {
          const uint64_t r = rng.next();
          std::memcpy(f.data() + i, &r, 8);
        }
        shape_garbage(f);
      }
      const int fd = socks[(sent / kBatch) % socks.size()];
      const int n = sendmmsg(fd, msgs.data(), kBatch, 0);
      if (n < 0) ++send_errors;
      sent += n > 0 ? static_cast<uint64_t>(n) : 0;
      continue;
    } else {
      for (size_t i = 0; i + 8 <= frame.size(); i += 8) {
        const uint64_t r = rng.next();
        std::memcpy(frame.data() + i, &r, 8);
      }
      shape_garbage(frame);
    }
    const int fd = socks[sent % socks.size()];
    if (sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<const sockaddr*>(&dst),
               sizeof dst) < 0)
      ++send_errors;
    ++sent;
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("fips-attack %s: sent %llu in %.1f s (%.0f/s) from %llu source ports, %llu send errors\n",
              o.mode.c_str(), static_cast<unsigned long long>(sent), secs,
              static_cast<double>(sent) / secs, static_cast<unsigned long long>(socks.size()),
              static_cast<unsigned long long>(send_errors));
  for (int fd : socks) close(fd);
  return 0;
}
