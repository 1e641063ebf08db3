#include "ipv6/tun.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "io/caps.h"
#include "ipv6/netlink.h"
#include "ipv6/offload.h"
#include "util/log.h"

namespace fips::ipv6 {

namespace {
constexpr std::array<uint8_t, 16> kFd00{0xFD};

std::string errno_text(const std::string& step, int err) {
  return step + ": " + std::strerror(err);
}

bool is_permission(int err) {
  return err == EPERM || err == EACCES;
}

// Which of the two causes it is: without CAP_NET_ADMIN the kernel refuses
// TUNSETIFF and netlink whatever the device node allows; with it, an EACCES
// on open is the node's file permissions (normally 0666; 0600 in some
// containers) or a service's device policy (DeviceAllow=).
std::string permission_hint(const std::string& step, int err) {
  if (!has_cap_net_admin())
    return errno_text(step, err) +
           " (creating the TUN interface needs CAP_NET_ADMIN: run as root, or grant the "
           "capability, e.g. AmbientCapabilities=CAP_NET_ADMIN in the systemd unit or "
           "setcap cap_net_admin+ep on the binary)";
  return errno_text(step, err) + " (the process has CAP_NET_ADMIN; uid " +
         std::to_string(::getuid()) +
         " may not open /dev/net/tun: check the device's mode, normally 0666, and the "
         "service's DeviceAllow=)";
}

// The kernel's dev_valid_name(), so a bad tun.name gets a clear message.
bool valid_ifname(const std::string& n) {
  if (n.empty() || n.size() >= IFNAMSIZ || n == "." || n == "..") return false;
  return std::none_of(n.begin(), n.end(), [](char c) {
    return c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
  });
}
}  // namespace

std::string_view tun_state_name(TunState s) {
  switch (s) {
    case TunState::kDisabled:
      return "disabled";
    case TunState::kConfigured:
      return "configured";
    case TunState::kActive:
      return "active";
    case TunState::kFailed:
      return "failed";
  }
  return "failed";
}

bool ipv6_disabled() {
  std::ifstream f("/proc/sys/net/ipv6/conf/all/disable_ipv6");
  std::string v;
  return f && (f >> v) && v == "1";
}

TunDevice::TunDevice(EventLoop& loop, BufferPool& pool, TunSink& sink, TunOptions opts)
    : loop_(loop), pool_(pool), sink_(sink), opts_(opts) {
  if (opts_.headroom < kMinHeadroom) opts_.headroom = kMinHeadroom;
  if (opts_.read_batch == 0) opts_.read_batch = 1;
  if (opts_.write_queue == 0) opts_.write_queue = 1;
}

TunDevice::~TunDevice() {
  stop();
}

Result<void, std::string> TunDevice::start(const TunConfig& cfg, const FipsAddress& addr) {
  if (state_ == TunState::kActive) return Err{std::string("tun already started")};
  auto fail = [this](std::string msg) -> Result<void, std::string> {
    stop();
    state_ = TunState::kFailed;
    return Err{std::move(msg)};
  };
  if (!valid_ifname(cfg.name))
    return fail("tun.name '" + cfg.name +
                "' is not a valid interface name (1-15 characters, no '/', ':' or spaces)");
  if (cfg.mtu < 1280)
    return fail("tun.mtu " + std::to_string(cfg.mtu) +
                " is below the IPv6 minimum of 1280 (the kernel disables IPv6 on such a link)");
  if (pool_.buf_size() < opts_.headroom + cfg.mtu)
    return fail("tun.mtu " + std::to_string(cfg.mtu) + " does not fit the packet buffers (" +
                std::to_string(pool_.buf_size()) + " bytes with " + std::to_string(opts_.headroom) +
                " of headroom)");
  if (ipv6_disabled()) return fail("IPv6 is disabled (set net.ipv6.conf.all.disable_ipv6=0)");

  // TUN interfaces are exclusive: remove a leftover of the same name first.
  if (const unsigned old = if_nametoindex(cfg.name.c_str()); old != 0) {
    auto nl = Rtnl::open();
    if (nl) {
      auto r = nl->delete_link(old);
      if (!r)
        LOG_DEBUG("tun: deleting existing interface %s failed: %s", cfg.name.c_str(),
                  r.error().what.c_str());
      else
        LOG_DEBUG("tun: deleted existing interface %s", cfg.name.c_str());
    }
  }

  fd_.reset(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd_) {
    const int err = errno;
    if (err == ENOENT || err == ENODEV || err == ENXIO)
      return fail(errno_text("open /dev/net/tun", err) + " (is the tun module loaded?)");
    return fail(is_permission(err) ? permission_hint("open /dev/net/tun", err)
                                   : errno_text("open /dev/net/tun", err));
  }
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (opts_.offload ? IFF_VNET_HDR : 0);
  std::memcpy(ifr.ifr_name, cfg.name.data(), cfg.name.size());
  if (::ioctl(fd_.get(), TUNSETIFF, &ifr) != 0) {
    const int err = errno;
    const std::string step = "TUNSETIFF " + cfg.name;
    return fail(is_permission(err) ? permission_hint(step, err) : errno_text(step, err));
  }
  vnet_ = opts_.offload;
  if (vnet_ && ::ioctl(fd_.get(), TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO6) != 0) {
    // Still correct with the vnet header and no offloads: packets come
    // whole and checksummed, writes go with an empty header.
    LOG_WARN("tun: TUNSETOFFLOAD failed (%s); running without TSO", std::strerror(errno));
  }
  name_.assign(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  ifindex_ = if_nametoindex(name_.c_str());
  if (ifindex_ == 0) return fail(errno_text("if_nametoindex " + name_, errno));
  mtu_ = cfg.mtu;

  if (auto r = configure(addr); !r) return fail(r.error());

  const size_t room = pool_.buf_size() - opts_.headroom;
  scratch_size_ = std::max<size_t>(room, size_t{mtu_} + 100);
  scratch_ = std::make_unique<uint8_t[]>(scratch_size_);
  if (vnet_ && !super_) super_ = std::make_unique<uint8_t[]>(kMaxGsoPacket);
  batch_.clear();
  batch_.reserve(GroRun::kMaxSegments);
  batch_th_.clear();
  ring_.clear();
  ring_.resize(opts_.write_queue);
  q_head_ = q_len_ = 0;
  blocked_ = false;
  if (!loop_.add(fd_.get(), EPOLLIN, [this](uint32_t ev) { on_event(ev); }))
    return fail(errno_text("tun epoll add", errno));
  registered_ = true;
  state_ = TunState::kActive;
  LOG_INFO("tun: %s up, address %s/128, mtu %u", name_.c_str(), addr.str().c_str(), unsigned{mtu_});
  return {};
}

Result<void, std::string> TunDevice::configure(const FipsAddress& addr) {
  auto nl = Rtnl::open();
  if (!nl) return Err{"tun " + name_ + ": " + nl.error().what};
  auto step = [&](NlResult<void> r, const std::string& what) -> Result<void, std::string> {
    if (r) return {};
    const std::string msg = "tun " + name_ + ": " + what + ": " + r.error().what;
    return Err{is_permission(r.error().err) && !has_cap_net_admin()
                   ? msg + " (needs CAP_NET_ADMIN: run as root or grant the capability)"
                   : msg};
  };
  FIPS_TRY(step(nl->add_address6(ifindex_, addr.bytes, 128), "add address " + addr.str() + "/128"));
  FIPS_TRY(step(nl->set_link_mtu(ifindex_, mtu_), "set mtu " + std::to_string(mtu_)));
  // Ours: the kernel's default TUN queue (500) overflows under one TCP flow
  // before the daemon's next read and TCP sees the drops as congestion
  // (measured 1 hop, iperf3: ~4,800 retransmits in 4 s at 500, none at 2,000,
  // +10 % throughput). The reference leaves the default.
  FIPS_TRY(step(nl->set_link_txqlen(ifindex_, kTxQueueLen), "set txqueuelen"));
  FIPS_TRY(step(nl->set_link_up(ifindex_), "set link up"));
  FIPS_TRY(step(nl->add_route6(ifindex_, kFd00, 8), "add route fd00::/8"));
  // The kernel installs the local route for the new address from a work
  // item a moment after the link comes up; until then packets to our own
  // address are dropped. Wait (bounded) so "active" means usable.
  bool local = false;
  for (int i = 0; i < 200 && !local; ++i) {
    auto t = nl->route6_type(addr.bytes);
    local = t && *t == RTN_LOCAL;
    if (!local) ::usleep(5000);
  }
  if (!local)
    LOG_WARN("tun %s: local route for %s not installed after 1 s", name_.c_str(),
             addr.str().c_str());
  if (opts_.add_rule) {
    // Keeps fd00::/8 in the main table ahead of catch-all rules of other
    // routing software; usually already present from an earlier run.
    auto r = nl->add_rule6(kFd00, 8, kMainTable, kRulePriority);
    if (!r) LOG_DEBUG("tun: ip -6 rule for fd00::/8 not added: %s", r.error().what.c_str());
  }
  return {};
}

void TunDevice::delete_interface() {
  if (ifindex_ == 0) return;
  auto nl = Rtnl::open();
  if (nl) {
    auto r = nl->delete_link(ifindex_);
    if (!r && r.error().err != ENODEV)
      LOG_DEBUG("tun: deleting %s failed: %s", name_.c_str(), r.error().what.c_str());
  }
  ifindex_ = 0;
}

void TunDevice::stop() {
  if (registered_) loop_.remove(fd_.get());
  registered_ = false;
  for (size_t i = 0; i < q_len_; ++i) ring_[(q_head_ + i) % ring_.size()].release();
  q_head_ = q_len_ = 0;
  for (PacketBuf& p : batch_) p.release();
  batch_.clear();
  batch_th_.clear();
  blocked_ = false;
  // Closing a non-persistent TUN's fd removes it too; deleting first, by
  // index, is explicit and independent of other holders of the fd.
  delete_interface();
  fd_.reset();
  if (state_ == TunState::kActive) state_ = TunState::kConfigured;
}

void TunDevice::on_event(uint32_t events) {
  if ((events & EPOLLOUT) && blocked_) {
    set_blocked(false);
    flush_queue();
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable();
}

bool TunDevice::read_failed(int err) {
  if (err == EINTR) return true;
  if (err == EAGAIN || err == EWOULDBLOCK) return false;
  ++counters_.rx_errors;
  if (err == EBADFD || err == ENODEV) {
    // The interface was deleted under us: the fd stays readable with an
    // error forever, so stop polling it instead of spinning.
    LOG_WARN("tun: %s went away (%s); IPv6 adapter stopped", name_.c_str(), std::strerror(err));
    if (registered_) loop_.remove(fd_.get());
    registered_ = false;
    ifindex_ = 0;
    state_ = TunState::kFailed;
  }
  return false;
}

void TunDevice::on_readable() {
  if (vnet_) return on_readable_vnet();
  bool delivered = false;
  size_t n_read = 0;
  while (n_read < opts_.read_batch && fd_) {
    PacketBuf buf;
    if (pool_.available() > 0) buf = pool_.acquire();
    uint8_t* dst = scratch_.get();
    size_t room = scratch_size_;
    if (buf) {
      (void)buf.set(opts_.headroom, 0);  // checked in start(): headroom + mtu fits
      dst = buf.data();
      room = buf.tailroom();
    }
    const ssize_t n = ::read(fd_.get(), dst, room);
    if (n < 0) {
      if (read_failed(errno)) continue;
      break;
    }
    ++n_read;
    if (n == 0) continue;
    ++counters_.rx_packets;
    counters_.rx_bytes += static_cast<uint64_t>(n);
    if (!buf) {
      ++counters_.rx_pool_exhausted;
      continue;
    }
    (void)buf.push_back(static_cast<size_t>(n));
    sink_.on_tun_packet(std::move(buf));
    delivered = true;
  }
  if (delivered) sink_.on_tun_burst_end();
}

// ---- reads with the vnet header ----

void TunDevice::on_readable_vnet() {
  size_t reads = 0, delivered = 0;
  const size_t segment_budget = opts_.read_batch * 4;
  while (reads < opts_.read_batch && delivered < segment_budget && fd_) {
    PacketBuf buf;
    if (pool_.available() > 0) buf = pool_.acquire();
    iovec iov[2];
    size_t room = 0;
    if (buf) {
      (void)buf.set(opts_.headroom - kVnetHdrSize, 0);  // the packet lands at headroom
      room = buf.tailroom();
      iov[0] = {buf.data(), room};
      iov[1] = {super_.get() + room, kMaxGsoPacket - room};
    } else {
      iov[0] = {super_.get(), kMaxGsoPacket};
    }
    const ssize_t n = ::readv(fd_.get(), iov, buf ? 2 : 1);
    if (n < 0) {
      if (read_failed(errno)) continue;
      break;
    }
    ++reads;
    if (static_cast<size_t>(n) <= kVnetHdrSize) continue;
    ++counters_.rx_packets;
    counters_.rx_bytes += static_cast<uint64_t>(n) - kVnetHdrSize;
    if (!buf) {
      ++counters_.rx_pool_exhausted;
      continue;
    }
    delivered += deliver_vnet(buf, static_cast<size_t>(n), room);
  }
  if (delivered) sink_.on_tun_burst_end();
}

size_t TunDevice::deliver_vnet(PacketBuf& buf, size_t n, size_t room) {
  const VnetHdr h = read_vnet_hdr(buf.data());
  if (h.gso_type != kVnetGsoNone || n > room) {
    // A super-packet (or one larger than a buffer): gather it in super_.
    std::memcpy(super_.get(), buf.data(), std::min(n, room));
    buf.release();
    return segment_super(n);
  }
  (void)buf.set(opts_.headroom, n - kVnetHdrSize);
  if (h.flags & kVnetNeedsCsum) {
    if (!complete_partial_checksum(buf.span(), h.csum_start, h.csum_offset)) {
      ++counters_.rx_gso_dropped;
      buf.release();
      return 0;
    }
    ++counters_.rx_csum_completed;
  }
  sink_.on_tun_packet(std::move(buf));
  return 1;
}

size_t TunDevice::segment_super(size_t n) {
  const VnetHdr h = read_vnet_hdr(super_.get());
  const ByteSpan pkt(super_.get() + kVnetHdrSize, n - kVnetHdrSize);
  ++counters_.rx_gso_packets;
  GsoPlan plan;
  GsoError why{};
  if (!plan_tcp6_gso(pkt, h, plan, why)) {
    ++counters_.rx_gso_dropped;
    LOG_DEBUG("tun: GSO packet dropped (type %u, error %u)", unsigned{h.gso_type}, static_cast<unsigned>(why));
    return 0;
  }
  size_t delivered = 0;
  for (size_t i = 0; i < plan.count; ++i) {
    PacketBuf seg;
    if (pool_.available() > 0) seg = pool_.acquire();
    if (!seg || !seg.set(opts_.headroom, 0) || seg.tailroom() < plan.hdr_len + plan.seg_payload) {
      ++counters_.rx_gso_dropped;
      continue;
    }
    const size_t len = write_tcp6_segment(pkt, plan, i, seg.data());
    (void)seg.push_back(len);
    ++counters_.rx_gso_segments;
    sink_.on_tun_packet(std::move(seg));
    ++delivered;
  }
  return delivered;
}

// ---- writes ----

ssize_t TunDevice::sys_writev(int fd, const iovec* iov, int n) {
  return ::writev(fd, iov, n);
}

int TunDevice::write_iov(const iovec* iov, int n, size_t bytes) {
  for (;;) {
    const ssize_t w = sys_writev(fd_.get(), iov, n);
    if (w >= 0) {
      counters_.tx_bytes += bytes;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      ++counters_.tx_blocked;
      return EAGAIN;
    }
    ++counters_.tx_errors;  // EINVAL (not an IP packet), EIO (link down), ...
    return EIO;
  }
}

int TunDevice::write_now(PacketBuf& pkt) {
  static const uint8_t kNoOffload[kVnetHdrSize] = {};
  iovec iov[2];
  int n = 0;
  if (vnet_) iov[n++] = {const_cast<uint8_t*>(kNoOffload), kVnetHdrSize};
  iov[n++] = {pkt.data(), pkt.size()};
  const int r = write_iov(iov, n, pkt.size());
  if (r == EAGAIN) return EAGAIN;
  if (r == 0) ++counters_.tx_packets;
  pkt.release();
  return 0;
}

void TunDevice::enqueue(PacketBuf&& pkt) {
  if (q_len_ == ring_.size()) {
    ++counters_.tx_queue_full;
    pkt.release();
    return;
  }
  ring_[(q_head_ + q_len_) % ring_.size()] = std::move(pkt);
  ++q_len_;
}

bool TunDevice::write(PacketBuf&& in) {
  PacketBuf pkt = std::move(in);
  if (state_ != TunState::kActive || !pkt.valid()) {
    ++counters_.tx_not_active;
    return false;
  }
  if (vnet_ && !blocked_ && q_len_ == 0) {
    if (const size_t th = gro_candidate(pkt.span()); th != 0) {
      if (batch_.size() == GroRun::kMaxSegments) flush_batch();
      if (!blocked_) {
        batch_.push_back(std::move(pkt));
        batch_th_.push_back(static_cast<uint8_t>(th / 4));
        return true;
      }
    } else {
      flush_batch();  // keep the order of the flow
    }
  }
  if (!blocked_ && q_len_ == 0) {
    const uint64_t errors = counters_.tx_errors;
    if (write_now(pkt) == 0) return counters_.tx_errors == errors;
    set_blocked(true);
  }
  if (q_len_ == ring_.size()) {
    ++counters_.tx_queue_full;
    return false;
  }
  enqueue(std::move(pkt));
  return true;
}

void TunDevice::flush() {
  flush_batch();
}

// Coalesces per flow: a run starts at the oldest unwritten segment and takes
// every later segment of the same flow that continues it, skipping other
// flows' segments (they start their own runs). A segment of the flow that
// cannot join ends the scan for that flow, so order within a flow is kept;
// order across flows may change, as with the kernel's own GRO.
void TunDevice::flush_batch() {
  const size_t n = batch_.size();
  bool taken[GroRun::kMaxSegments] = {};
  size_t members[GroRun::kMaxSegments];
  uint8_t hdr[kVnetHdrSize + 40 + 60];
  iovec iov[1 + GroRun::kMaxSegments];
  size_t i = 0;
  while (i < n && !blocked_) {
    if (taken[i]) {
      ++i;
      continue;
    }
    GroRun run;
    const ByteSpan head = batch_[i].span();
    run.start(head, size_t{batch_th_[i]} * 4);
    size_t m = 0;
    members[m++] = i;
    for (size_t j = i + 1; j < n; ++j) {
      if (taken[j] || !same_tcp6_flow(head, batch_[j].span())) continue;
      if (!run.offer(batch_[j].span(), size_t{batch_th_[j]} * 4)) break;
      members[m++] = j;
    }
    int r;
    if (m == 1) {
      r = write_now(batch_[i]);
    } else {
      const size_t hl = run.header_len();
      iov[0] = {hdr, run.write_header(hdr)};
      size_t bytes = hl;
      for (size_t k = 0; k < m; ++k) {
        PacketBuf& p = batch_[members[k]];
        iov[1 + k] = {p.data() + hl, p.size() - hl};
        bytes += p.size() - hl;
      }
      r = write_iov(iov, static_cast<int>(1 + m), bytes);
      if (r != EAGAIN) {
        if (r == 0) {
          ++counters_.tx_gro_writes;
          counters_.tx_gro_segments += m;
          counters_.tx_packets += m;
        }
        for (size_t k = 0; k < m; ++k) batch_[members[k]].release();
      }
    }
    if (r == EAGAIN) {
      set_blocked(true);
      break;
    }
    for (size_t k = 0; k < m; ++k) taken[members[k]] = true;
    ++i;
  }
  // Blocked: what is left goes one by one later, in order.
  for (; i < n; ++i)
    if (!taken[i]) enqueue(std::move(batch_[i]));
  batch_.clear();
  batch_th_.clear();
}

void TunDevice::flush_queue() {
  while (q_len_ > 0 && !blocked_) {
    PacketBuf& head = ring_[q_head_];
    if (write_now(head) == EAGAIN) {
      set_blocked(true);
      break;
    }
    q_head_ = (q_head_ + 1) % ring_.size();
    --q_len_;
  }
}

void TunDevice::set_blocked(bool blocked) {
  blocked_ = blocked;
  if (registered_) loop_.modify(fd_.get(), EPOLLIN | (blocked ? uint32_t{EPOLLOUT} : 0u));
}

}  // namespace fips::ipv6
