#include "transport/udp.h"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "transport/sockopt.h"

namespace fips {

bool is_punch_packet(const uint8_t* data, size_t len) {
  if (len < 4) return false;
  const uint32_t magic = (uint32_t{data[0]} << 24) | (uint32_t{data[1]} << 16) |
                         (uint32_t{data[2]} << 8) | uint32_t{data[3]};
  return magic == 0x4E505443u || magic == 0x4E505441u;
}

struct UdpTransport::SendState {
  static constexpr size_t kCtrl = CMSG_SPACE(sizeof(uint16_t));
  std::array<Slot, kSendQueue> ring;
  std::array<mmsghdr, kSendBatch> msgs;
  std::array<iovec, kSendBatch> iov;  // one per slot; a GSO message spans several
  std::array<sockaddr_storage, kSendBatch> sa;
  std::array<size_t, kSendBatch> slots;  // slots carried by each message
  alignas(cmsghdr) std::array<std::array<uint8_t, kCtrl>, kSendBatch> ctrl;
};

// SO_RXQ_OVFL: the kernel adds the socket's drop count (u32) to a message
// received after drops (docs/spec/mmp.md §7: kernel drops are congestion).
constexpr size_t kOvflCtrl = CMSG_SPACE(sizeof(uint32_t));

struct UdpTransport::GroState {
  static constexpr size_t kCtrl = CMSG_SPACE(sizeof(int)) + kOvflCtrl;
  std::array<mmsghdr, kGroBatch> msgs;
  std::array<iovec, 2 * kGroBatch> iov;
  std::array<sockaddr_storage, kGroBatch> from;
  alignas(cmsghdr) std::array<std::array<uint8_t, kCtrl>, kGroBatch> ctrl;
  std::array<PacketBuf, kGroBatch> bufs;
  std::array<PacketBuf, 64> segs;  // UDP_MAX_SEGMENTS of older kernels
  std::unique_ptr<uint8_t[]> spill;  // kGroBatch regions of region_size bytes
  size_t region_size = 0;
};

UdpTransport::UdpTransport(TransportId id, const UdpTransportConfig& cfg, EventLoop& loop,
                           BufferPool& pool, TransportSink& sink)
    : Transport(id), cfg_(cfg), loop_(loop), pool_(pool), sink_(sink) {}

UdpTransport::~UdpTransport() {
  stop();
}

Result<void, std::string> UdpTransport::start() {
  if (state_ == TransportState::kUp) return Err{std::string("udp transport already started")};
  auto fail = [this](std::string msg) -> Result<void, std::string> {
    fd_.reset();
    state_ = TransportState::kFailed;
    return Err{std::move(msg)};
  };
  // outbound_only ignores bind_addr and takes an ephemeral v4 port (reference).
  const std::string bind_s = cfg_.outbound_only ? std::string("0.0.0.0:0") : cfg_.bind_addr;
  auto addr = TransportAddr::parse(bind_s);
  if (!addr)
    return fail("udp bind_addr '" + bind_s +
                "' is not an IP:port (e.g. \"0.0.0.0:2121\" or \"[::]:2121\")");
  const size_t room = pool_.buf_size() - pool_.default_headroom();
  if (room < cfg_.mtu)
    return fail("udp mtu " + std::to_string(cfg_.mtu) + " exceeds the packet buffer size (" +
                std::to_string(room) + " bytes after headroom)");
  if (cfg_.mtu < 32) return fail("udp mtu " + std::to_string(cfg_.mtu) + " is below 32");

  v6_socket_ = addr->is_v6();
  fd_ = sock::open(v6_socket_ ? AF_INET6 : AF_INET, SOCK_DGRAM);
  if (!fd_) return fail(sock::errno_msg("udp socket", errno));
  const int zero = 0;
  if (v6_socket_ && ::setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0)
    return fail(sock::errno_msg("udp IPV6_V6ONLY=0", errno));
  // No SO_REUSEADDR/SO_REUSEPORT (the reference sets both): on Linux they let
  // a second daemon bind the same UDP port silently and split the traffic;
  // without them that is a clear EADDRINUSE. UDP has no TIME_WAIT to skip.
  granted_buffers_ = sock::set_buffers(fd_.get(), cfg_.recv_buf_size, cfg_.send_buf_size);

  sockaddr_storage ss{};
  const socklen_t len = addr->to_sockaddr(ss, v6_socket_);
  if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
    return fail(sock::errno_msg(("udp bind " + bind_s).c_str(), errno));
  bound_ = sock::local_of(fd_.get());

  recv_size_ = std::min<size_t>(size_t{cfg_.mtu} + kRecvSlack, room);
  if (!send_) send_ = std::make_unique<SendState>();
  // UDP GRO goes with GSO (one switch for both); without it, or when the
  // kernel refuses it, every datagram arrives on its own.
  const int one = 1;
  gro_ = gso_ && ::setsockopt(fd_.get(), SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
  // Kernel receive drops feed ECN; without the option the count stays 0.
  (void)::setsockopt(fd_.get(), SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  if (gro_ && !gro_state_) {
    gro_state_ = std::make_unique<GroState>();
    gro_state_->region_size = recv_size_ + kGroSpill;
    gro_state_->spill = std::make_unique<uint8_t[]>(kGroBatch * gro_state_->region_size);
  }
  if (!scratch_) scratch_ = std::make_unique<uint8_t[]>(size_t{cfg_.mtu} + kRecvSlack);
  if (!loop_.add(fd_.get(), EPOLLIN, [this](uint32_t ev) { on_event(ev); }))
    return fail(sock::errno_msg("udp epoll add", errno));
  registered_ = true;
  blocked_ = false;
  state_ = TransportState::kUp;
  return {};
}

void UdpTransport::stop() {
  if (registered_) loop_.remove(fd_.get());
  registered_ = false;
  fd_.reset();
  while (q_len_ > 0) drop_head();
  if (state_ == TransportState::kUp) state_ = TransportState::kStopped;
}

std::string UdpTransport::local_addr() const {
  return bound_.valid() ? bound_.str() : "";
}

bool UdpTransport::send(const TransportAddr& to, PacketBuf&& pkt) {
  PacketBuf p = std::move(pkt);  // consumed (released) on every refusal
  if (state_ != TransportState::kUp || !p.valid()) {
    ++stats_.send_errors;
    return false;
  }
  if (p.size() > cfg_.mtu) {
    ++stats_.mtu_exceeded;
    return false;
  }
  // Synthetic addresses, and IPv6 destinations from an IPv4 socket, have no route.
  if (!(to.is_v4() || (to.is_v6() && v6_socket_))) {
    ++stats_.send_errors;
    return false;
  }
  if (q_len_ == kSendQueue) {
    ++stats_.queue_full;
    return false;
  }
  Slot& s = send_->ring[(q_head_ + q_len_) % kSendQueue];
  s.pkt = std::move(p);
  s.to = to;
  ++q_len_;
  if (!blocked_ && q_len_ >= kSendBatch) flush();
  return true;
}

void UdpTransport::drop_head() {
  send_->ring[q_head_].pkt.release();
  q_head_ = (q_head_ + 1) % kSendQueue;
  --q_len_;
}

int UdpTransport::sys_sendmmsg(int fd, mmsghdr* msgs, unsigned n) {
  return ::sendmmsg(fd, msgs, n, MSG_DONTWAIT);
}

// Consecutive queued datagrams to one address with one size (the last may be
// shorter) leave as a single UDP_SEGMENT (GSO) message: the kernel builds and
// routes one large skb and splits it at the device, or not at all on veth
// and loopback, instead of running the UDP/IP output path once per datagram.
// The receiver sees ordinary datagrams. Ours; the reference sends one by one.
size_t UdpTransport::build_batch(size_t n) {
  SendState& st = *send_;
  size_t m = 0;
  for (size_t i = 0; i < n;) {
    const Slot& first = st.ring[(q_head_ + i) % kSendQueue];
    const size_t seg = first.pkt.size();
    size_t j = i + 1, bytes = seg;
    if (gso_) {
      while (j < n && j - i < kGsoMaxSegments) {
        const Slot& s = st.ring[(q_head_ + j) % kSendQueue];
        if (!(s.to == first.to) || s.pkt.size() > seg || bytes + s.pkt.size() > kGsoMaxBytes) break;
        bytes += s.pkt.size();
        ++j;
        if (s.pkt.size() < seg) break;  // a short one ends the message
      }
    }
    for (size_t k = i; k < j; ++k) {
      Slot& s = st.ring[(q_head_ + k) % kSendQueue];
      st.iov[k].iov_base = s.pkt.data();
      st.iov[k].iov_len = s.pkt.size();
    }
    mmsghdr& mh = st.msgs[m];
    mh = mmsghdr{};
    mh.msg_hdr.msg_name = &st.sa[m];
    mh.msg_hdr.msg_namelen = first.to.to_sockaddr(st.sa[m], v6_socket_);
    mh.msg_hdr.msg_iov = &st.iov[i];
    mh.msg_hdr.msg_iovlen = j - i;
    if (j - i > 1) {
      mh.msg_hdr.msg_control = st.ctrl[m].data();
      mh.msg_hdr.msg_controllen = SendState::kCtrl;
      cmsghdr* c = CMSG_FIRSTHDR(&mh.msg_hdr);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      const auto gso_size = static_cast<uint16_t>(seg);
      std::memcpy(CMSG_DATA(c), &gso_size, sizeof gso_size);
      ++gso_messages_;
      gso_datagrams_ += j - i;
    }
    st.slots[m++] = j - i;
    i = j;
  }
  return m;
}

void UdpTransport::flush() {
  if (!fd_) return;
  SendState& st = *send_;
  while (q_len_ > 0 && !blocked_) {
    const size_t m = build_batch(std::min(q_len_, kSendBatch));
    const int r = sys_sendmmsg(fd_.get(), st.msgs.data(), static_cast<unsigned>(m));
    if (r > 0) {
      for (int k = 0; k < r; ++k) {
        for (size_t i = 0; i < st.slots[static_cast<size_t>(k)]; ++i) {
          ++stats_.packets_sent;
          stats_.bytes_sent += st.ring[q_head_].pkt.size();
          drop_head();
        }
      }
      continue;
    }
    const int err = r < 0 ? errno : EAGAIN;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      set_blocked(true);  // keep the backlog; resume on EPOLLOUT
      break;
    }
    if (st.slots[0] > 1 && (err == EIO || err == EINVAL || err == ENOPROTOOPT || err == EOPNOTSUPP)) {
      // A socket or device without UDP GSO: send them one by one from now on.
      gso_ = false;
      continue;
    }
    // sendmmsg reports the first failing message; drop just that one.
    for (size_t i = 0; i < st.slots[0]; ++i) {
      ++stats_.send_errors;
      drop_head();
    }
  }
}

void UdpTransport::set_blocked(bool blocked) {
  blocked_ = blocked;
  if (registered_) loop_.modify(fd_.get(), EPOLLIN | (blocked ? uint32_t{EPOLLOUT} : 0u));
}

void UdpTransport::on_event(uint32_t events) {
  if (events & EPOLLERR) (void)sock::take_error(fd_.get());
  if ((events & EPOLLOUT) && blocked_) on_writable();
  if (events & EPOLLIN) on_readable();
}

void UdpTransport::on_writable() {
  set_blocked(false);
  flush();
}

void UdpTransport::on_readable() {
  if (gro_) return on_readable_gro();
  std::array<PacketBuf, kRecvBatch> bufs;
  std::array<mmsghdr, kRecvBatch> msgs;
  std::array<iovec, kRecvBatch> iov;
  std::array<sockaddr_storage, kRecvBatch> from;
  alignas(cmsghdr) std::array<std::array<uint8_t, kOvflCtrl>, kRecvBatch> ctrl;
  size_t total = 0;
  bool delivered = false;
  while (total < kMaxRecvPerEvent && fd_) {
    const size_t want = std::min(kRecvBatch, kMaxRecvPerEvent - total);
    for (size_t i = 0; i < want; ++i) {
      // Check available() first so the pool's own exhaustion counter only
      // moves when a datagram really had to be dropped.
      if (pool_.available() > 0) bufs[i] = pool_.acquire();
      iov[i].iov_base = bufs[i] ? bufs[i].data() : scratch_.get();
      iov[i].iov_len = bufs[i] ? recv_size_ : size_t{cfg_.mtu} + kRecvSlack;
      msgs[i] = mmsghdr{};
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = ctrl[i].data();
      msgs[i].msg_hdr.msg_controllen = kOvflCtrl;
    }
    const int r =
        ::recvmmsg(fd_.get(), msgs.data(), static_cast<unsigned>(want), MSG_DONTWAIT, nullptr);
    if (r < 0) {
      for (size_t i = 0; i < want; ++i) bufs[i].release();
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) ++stats_.recv_errors;
      break;
    }
    const auto got = static_cast<size_t>(r);
    for (size_t i = got; i < want; ++i) bufs[i].release();  // back before the sink runs
    for (size_t i = 0; i < got; ++i) {
      const size_t len = msgs[i].msg_len;
      ++stats_.packets_recv;
      stats_.bytes_recv += len;
      note_rxq_ovfl(msgs[i].msg_hdr);
      const auto* data = static_cast<const uint8_t*>(iov[i].iov_base);
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
        ++stats_.truncated;
        bufs[i].release();
        continue;
      }
      if (is_punch_packet(data, len)) {
        ++punch_dropped_;
        bufs[i].release();
        continue;
      }
      if (!bufs[i]) {
        ++stats_.pool_exhausted;
        continue;
      }
      (void)bufs[i].push_back(len);  // len <= recv_size_ <= tailroom
      const TransportAddr src = TransportAddr::from_sockaddr(
          reinterpret_cast<const sockaddr*>(&from[i]), msgs[i].msg_hdr.msg_namelen);
      deliver(src, std::move(bufs[i]));
      delivered = true;
    }
    total += got;
    if (got < want) break;  // drained
  }
  if (delivered) sink_.on_burst_end();
}

void UdpTransport::note_rxq_ovfl(const msghdr& mh) {
  if (mh.msg_controllen == 0) return;
  for (cmsghdr* c = CMSG_FIRSTHDR(const_cast<msghdr*>(&mh)); c;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&mh), c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL ||
        c->cmsg_len < CMSG_LEN(sizeof(uint32_t)))
      continue;
    uint32_t v = 0;
    std::memcpy(&v, CMSG_DATA(c), sizeof v);
    stats_.kernel_drops += static_cast<uint32_t>(v - last_rxq_ovfl_);  // u32 wraps
    last_rxq_ovfl_ = v;
  }
}

void UdpTransport::deliver(const TransportAddr& src, PacketBuf buf) {
  sink_.on_packet(id_, src, std::move(buf));
}

// With UDP_GRO the kernel may hand over a run of equal-size datagrams from one
// sender as one message of up to 64 KiB, with the datagram size in a cmsg.
// Each message reads into a pool buffer and spills into its own region of
// spill space; the run is split into one pool buffer per datagram (copies of
// at most the MTU each) before any of them reaches the sink, because the sink
// decrypts in place.
void UdpTransport::on_readable_gro() {
  GroState& g = *gro_state_;
  size_t total = 0;
  bool delivered = false;
  while (total < kMaxRecvPerEvent && fd_) {
    const size_t want = kGroBatch;
    for (size_t i = 0; i < want; ++i) {
      if (pool_.available() > 0) g.bufs[i] = pool_.acquire();
      uint8_t* region = g.spill.get() + i * g.region_size;
      mmsghdr& m = g.msgs[i];
      m = mmsghdr{};
      if (g.bufs[i]) {
        g.iov[2 * i] = {g.bufs[i].data(), recv_size_};
        g.iov[2 * i + 1] = {region + recv_size_, kGroSpill};
        m.msg_hdr.msg_iovlen = 2;
      } else {
        g.iov[2 * i] = {region, g.region_size};
        m.msg_hdr.msg_iovlen = 1;
      }
      m.msg_hdr.msg_iov = &g.iov[2 * i];
      m.msg_hdr.msg_name = &g.from[i];
      m.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      m.msg_hdr.msg_control = g.ctrl[i].data();
      m.msg_hdr.msg_controllen = GroState::kCtrl;
    }
    const int r = ::recvmmsg(fd_.get(), g.msgs.data(), static_cast<unsigned>(want), MSG_DONTWAIT, nullptr);
    if (r < 0) {
      for (size_t i = 0; i < want; ++i) g.bufs[i].release();
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) ++stats_.recv_errors;
      break;
    }
    const auto got = static_cast<size_t>(r);
    for (size_t i = got; i < want; ++i) g.bufs[i].release();
    for (size_t i = 0; i < got; ++i) {
      mmsghdr& m = g.msgs[i];
      const size_t len = m.msg_len;
      size_t seg = len;  // no cmsg: a single datagram
      for (cmsghdr* c = CMSG_FIRSTHDR(&m.msg_hdr); c; c = CMSG_NXTHDR(&m.msg_hdr, c)) {
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
          int v = 0;
          std::memcpy(&v, CMSG_DATA(c), sizeof v);
          if (v > 0) seg = static_cast<size_t>(v);
        }
      }
      note_rxq_ovfl(m.msg_hdr);
      PacketBuf& buf = g.bufs[i];
      const size_t count = seg == 0 ? 1 : (len + seg - 1) / seg;
      stats_.packets_recv += count;
      stats_.bytes_recv += len;
      total += count;  // the per-event budget counts datagrams
      if ((m.msg_hdr.msg_flags & MSG_TRUNC) || seg > recv_size_ || count > g.segs.size()) {
        ++stats_.truncated;  // cannot be split into whole datagrams
        buf.release();
        continue;
      }
      if (!buf) {
        stats_.pool_exhausted += count;
        continue;
      }
      if (count > 1) {
        ++gro_messages_;
        gro_datagrams_ += count;
      }
      // The message as one contiguous run: in the pool buffer alone, or
      // copied in front of its spill.
      const uint8_t* run = buf.data();
      if (len > recv_size_) {
        uint8_t* region = g.spill.get() + i * g.region_size;
        std::memcpy(region, buf.data(), recv_size_);
        run = region;
      }
      // Datagrams 1.. into buffers of their own first (the sink may change
      // buffer 0 in place), then all of them to the sink in order.
      size_t n_segs = 0;
      for (size_t k = 1; k < count; ++k) {
        const size_t off = k * seg, n = std::min(seg, len - off);
        PacketBuf& s = g.segs[n_segs++];
        if (pool_.available() > 0) s = pool_.acquire();
        if (!s || !s.push_back(n)) {
          ++stats_.pool_exhausted;
          s.release();
          continue;
        }
        std::memcpy(s.data(), run + off, n);
      }
      (void)buf.push_back(std::min(seg, len));
      const TransportAddr src =
          TransportAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&g.from[i]), m.msg_hdr.msg_namelen);
      auto pass = [&](PacketBuf p) {
        if (!p) return;
        if (is_punch_packet(p.data(), p.size())) {
          ++punch_dropped_;
          p.release();
          return;
        }
        deliver(src, std::move(p));
        delivered = true;
      };
      pass(std::move(buf));
      for (size_t k = 0; k < n_segs; ++k) pass(std::move(g.segs[k]));
    }
    if (got < want) break;  // drained
  }
  if (delivered) sink_.on_burst_end();
}

}  // namespace fips
