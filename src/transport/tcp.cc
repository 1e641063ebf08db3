#include "transport/tcp.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "proto/fmp/wire.h"
#include "transport/framing.h"
#include "transport/sockopt.h"

namespace fips {
namespace {

// Unsent bytes of one connection, kept contiguous for send(2): compacted
// rather than wrapped, grown on demand up to the caller-enforced bound.
class ByteQueue {
 public:
  [[nodiscard]] size_t size() const { return tail_ - head_; }
  [[nodiscard]] bool empty() const { return head_ == tail_; }
  [[nodiscard]] const uint8_t* data() const { return buf_.data() + head_; }
  void consume(size_t n) {
    head_ += std::min(n, size());
    if (head_ == tail_) head_ = tail_ = 0;
  }
  // The caller keeps size() + n within cap.
  void append(const uint8_t* p, size_t n, size_t cap) {
    if (tail_ + n > buf_.size()) {
      if (head_ > 0) {
        std::memmove(buf_.data(), buf_.data() + head_, size());
        tail_ -= head_;
        head_ = 0;
      }
      if (tail_ + n > buf_.size())
        buf_.resize(std::max(tail_ + n, std::min(cap, std::max<size_t>(4096, buf_.size() * 2))));
    }
    std::memcpy(buf_.data() + tail_, p, n);
    tail_ += n;
  }

 private:
  std::vector<uint8_t> buf_;
  size_t head_ = 0, tail_ = 0;
};

constexpr size_t kAcceptsPerEvent = 64;

}  // namespace

struct TcpTransport::Conn {
  TransportAddr addr;
  UniqueFd fd;
  bool inbound = false;
  bool is_connecting = false;
  bool closed = false;      // detached from the table, parked in the graveyard
  bool want_write = false;  // EPOLLOUT armed
  bool dirty = false;       // listed in dirty_ (batch may be non-empty)
  bool authenticated = false;  // the link layer completed a handshake over it
  uint64_t accept_seq = 0;      // inbound: accept order (oldest evicted first)
  uint16_t mtu = 0;
  uint64_t deadline_ms = 0;  // connect / first-frame deadline; 0 = set at next tick
  size_t queued_pkts = 0;    // queued in `out` while connecting
  uint64_t queued_bytes = 0;
  size_t batch_bytes = 0;
  std::optional<StreamDeframer> rx;  // built once the connection is up
  ByteQueue out;                     // non-empty => EPOLLOUT armed (when connected)
  std::vector<PacketBuf> batch;      // non-empty => out is empty
};

TcpTransport::TcpTransport(TransportId id, const TcpTransportConfig& cfg, EventLoop& loop,
                           BufferPool& pool, TransportSink& sink, uint64_t node_max_connections,
                           Limits limits)
    : Transport(id),
      cfg_(cfg),
      loop_(loop),
      pool_(pool),
      sink_(sink),
      node_max_connections_(node_max_connections),
      lim_(limits) {
  lim_.batch_packets = std::clamp<size_t>(lim_.batch_packets, 1, 1024);  // IOV_MAX
  notices_.reserve(64);
}

TcpTransport::~TcpTransport() {
  stop();
}

uint64_t TcpTransport::effective_max_inbound() const {
  return cfg_.max_inbound_connections.value_or(node_max_connections_);
}

Result<void, std::string> TcpTransport::start() {
  if (state_ == TransportState::kUp) return Err{std::string("tcp transport already started")};
  auto fail = [this](std::string msg) -> Result<void, std::string> {
    listener_.reset();
    state_ = TransportState::kFailed;
    return Err{std::move(msg)};
  };
  const size_t room = pool_.buf_size() - pool_.default_headroom();
  const size_t largest = std::max<size_t>(cfg_.mtu, fmp::kMsg1WireSize);
  if (room < largest)
    return fail("tcp mtu " + std::to_string(cfg_.mtu) + " exceeds the packet buffer size (" +
                std::to_string(room) + " bytes after headroom)");
  if (cfg_.bind_addr) {
    const std::string& b = *cfg_.bind_addr;
    auto addr = TransportAddr::parse(b);
    if (!addr) return fail("tcp bind_addr '" + b + "' is not an IP:port (e.g. \"0.0.0.0:443\")");
    listener_ = sock::open(addr->is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM);
    if (!listener_) return fail(sock::errno_msg("tcp socket", errno));
    const int one = 1, zero = 0;
    if (addr->is_v6() &&
        ::setsockopt(listener_.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0)
      return fail(sock::errno_msg("tcp IPV6_V6ONLY=0", errno));
    // TCP needs SO_REUSEADDR to rebind over TIME_WAIT; it does not allow two listeners.
    if (::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
      return fail(sock::errno_msg("tcp SO_REUSEADDR", errno));
    sockaddr_storage ss{};
    const socklen_t len = addr->to_sockaddr(ss, addr->is_v6());
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
      return fail(sock::errno_msg(("tcp bind " + b).c_str(), errno));
    if (::listen(listener_.get(), SOMAXCONN) != 0)
      return fail(sock::errno_msg(("tcp listen " + b).c_str(), errno));
    bound_ = sock::local_of(listener_.get());
    if (!loop_.add(listener_.get(), EPOLLIN, [this](uint32_t ev) { on_listener_event(ev); }))
      return fail(sock::errno_msg("tcp epoll add", errno));
  }
  state_ = TransportState::kUp;
  return {};
}

void TcpTransport::stop() {
  if (listener_) loop_.remove(listener_.get());
  listener_.reset();
  listener_paused_ = false;
  for (auto& [a, c] : conns_) {
    c->closed = true;
    if (c->fd) loop_.remove(c->fd.get());
    c->fd.reset();
    c->batch.clear();
    graveyard_.push_back(std::move(c));
  }
  conns_.clear();
  dirty_.clear();
  notices_.clear();
  inbound_ = outbound_ = connecting_ = 0;
  if (depth_ == 0) graveyard_.clear();
  if (state_ == TransportState::kUp) state_ = TransportState::kStopped;
}

std::string TcpTransport::local_addr() const {
  return bound_.valid() ? bound_.str() : "";
}

TcpTransport::Conn* TcpTransport::find(const TransportAddr& a) const {
  auto it = conns_.find(a);
  return it == conns_.end() ? nullptr : it->second.get();
}

uint16_t TcpTransport::mtu_to(const TransportAddr& to) const {
  const Conn* c = find(to);
  return c && !c->is_connecting ? c->mtu : cfg_.mtu;
}

TcpTransport::ConnState TcpTransport::connection_state(const TransportAddr& to) const {
  const Conn* c = find(to);
  if (!c) return ConnState::kNone;
  return c->is_connecting ? ConnState::kConnecting : ConnState::kConnected;
}

bool TcpTransport::configure(int fd) {
  bool ok = true;
  const int nodelay = cfg_.nodelay ? 1 : 0;
  ok &= ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay) == 0;
  if (cfg_.keepalive_secs > 0) {
    const int one = 1;
    const int idle = static_cast<int>(std::min<uint64_t>(cfg_.keepalive_secs, 32767));
    ok &= ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) == 0;
    ok &= ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) == 0;
  }
  sock::set_buffers(fd, cfg_.recv_buf_size, cfg_.send_buf_size);
  return ok;
}

namespace {
// Per-connection MTU as the reference computes it: min(TCP_MAXSEG, config).
uint16_t mss_mtu(int fd, uint16_t cfg_mtu) {
  int mss = 0;
  socklen_t len = sizeof mss;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len) == 0 && mss > 0)
    return static_cast<uint16_t>(std::min<int>(mss, cfg_mtu));
  return cfg_mtu;
}
}  // namespace

// ---- sending ---------------------------------------------------------------

bool TcpTransport::send(const TransportAddr& to, PacketBuf&& pkt) {
  PacketBuf p = std::move(pkt);  // consumed (released) on every refusal
  if (state_ != TransportState::kUp || !p.valid() || !(to.is_v4() || to.is_v6())) {
    ++stats_.send_errors;
    return false;
  }
  Conn* c = find(to);
  if (p.size() > (c && !c->is_connecting ? c->mtu : cfg_.mtu)) {
    ++stats_.mtu_exceeded;
    return false;
  }
  if (!c) {
    c = start_dial(to);
    if (!c || c->closed) {
      ++stats_.send_errors;
      return false;
    }
  }
  if (c->out.size() + c->batch_bytes + p.size() > lim_.out_buf_bytes ||
      (c->is_connecting && c->queued_pkts >= lim_.connect_queue_packets)) {
    ++stats_.queue_full;
    return false;
  }
  if (c->is_connecting) {  // bytes wait in `out`; counted as sent once connected
    c->out.append(p.data(), p.size(), lim_.out_buf_bytes);
    ++c->queued_pkts;
    c->queued_bytes += p.size();
    return true;
  }
  ++stats_.packets_sent;
  stats_.bytes_sent += p.size();
  if (!c->out.empty()) {  // keep stream order behind the blocked bytes
    c->out.append(p.data(), p.size(), lim_.out_buf_bytes);
    return true;
  }
  c->batch_bytes += p.size();
  c->batch.push_back(std::move(p));
  if (!c->dirty) {
    c->dirty = true;
    dirty_.push_back(c);
  }
  if (c->batch.size() >= lim_.batch_packets) flush_conn(c);
  return true;
}

void TcpTransport::flush() {
  dirty_scratch_.swap(dirty_);
  for (Conn* c : dirty_scratch_) c->dirty = false;
  // Closed conns stay parked (not freed) until the next safe point, so these
  // pointers remain valid for this loop.
  for (Conn* c : dirty_scratch_)
    if (!c->closed) flush_conn(c);
  dirty_scratch_.clear();
}

void TcpTransport::flush_conn(Conn* c) {
  if (c->closed || c->is_connecting) return;
  const int fd = c->fd.get();
  while (!c->out.empty()) {
    const ssize_t w = ::send(fd, c->out.data(), c->out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      c->out.consume(static_cast<size_t>(w));
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    ++stats_.send_errors;
    close_conn(c, true);
    return;
  }
  if (c->out.empty() && !c->batch.empty()) {
    iovec iov[1024];
    const size_t n = c->batch.size();
    for (size_t i = 0; i < n; ++i) iov[i] = {c->batch[i].data(), c->batch[i].size()};
    msghdr mh{};
    mh.msg_iov = iov;
    mh.msg_iovlen = n;
    ssize_t w;
    do {
      w = ::sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (w < 0 && errno == EINTR);
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      ++stats_.send_errors;
      close_conn(c, true);
      return;
    }
    size_t done = w > 0 ? static_cast<size_t>(w) : 0;
    for (PacketBuf& p : c->batch) {  // what the kernel did not take, in order
      if (done >= p.size()) {
        done -= p.size();
        continue;
      }
      c->out.append(p.data() + done, p.size() - done, lim_.out_buf_bytes);
      done = 0;
    }
    c->batch.clear();
    c->batch_bytes = 0;
  } else if (!c->batch.empty()) {  // defensive: keep order behind `out`
    for (PacketBuf& p : c->batch) c->out.append(p.data(), p.size(), lim_.out_buf_bytes);
    c->batch.clear();
    c->batch_bytes = 0;
  }
  set_write_interest(c, !c->out.empty());
}

void TcpTransport::set_write_interest(Conn* c, bool want) {
  if (c->want_write == want || c->closed) return;
  c->want_write = want;
  loop_.modify(c->fd.get(), EPOLLIN | (want ? uint32_t{EPOLLOUT} : 0u));
}

// ---- connections -----------------------------------------------------------

TcpTransport::Conn* TcpTransport::start_dial(const TransportAddr& to) {
  if (connecting_ + outbound_ >= lim_.max_outbound) return nullptr;
  UniqueFd fd = sock::open(to.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM);
  auto failed = [&] {
    ++stats_.connect_failures;
    notice(true, to);
    return nullptr;
  };
  if (!fd) return failed();
  (void)configure(fd.get());
  sockaddr_storage ss{};
  const socklen_t len = to.to_sockaddr(ss, to.is_v6());
  const int r = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len);
  if (r != 0 && errno != EINPROGRESS) return failed();
  auto conn = std::make_unique<Conn>();
  Conn* c = conn.get();
  c->addr = to;
  c->is_connecting = true;
  c->mtu = cfg_.mtu;
  c->fd = std::move(fd);
  c->batch.reserve(lim_.batch_packets);
  if (!loop_.add(c->fd.get(), EPOLLOUT, [this, c](uint32_t ev) { on_conn_event(c, ev); }))
    return failed();
  conns_.emplace(to, std::move(conn));
  ++connecting_;
  if (r == 0) on_connected(c);
  return c;
}

void TcpTransport::on_connected(Conn* c) {
  c->is_connecting = false;
  --connecting_;
  ++outbound_;
  c->mtu = mss_mtu(c->fd.get(), cfg_.mtu);
  c->rx.emplace(c->mtu);
  c->deadline_ms = 0;
  stats_.packets_sent += c->queued_pkts;
  stats_.bytes_sent += c->queued_bytes;
  c->queued_pkts = 0;
  c->queued_bytes = 0;
  c->want_write = false;
  loop_.modify(c->fd.get(), EPOLLIN);
  flush_conn(c);  // the bytes queued while connecting
}

void TcpTransport::close_conn(Conn* c, bool notify) {
  if (c->closed) return;
  c->closed = true;
  loop_.remove(c->fd.get());
  c->fd.reset();
  if (c->is_connecting)
    --connecting_;
  else if (c->inbound)
    --inbound_;
  else
    --outbound_;
  if (!c->is_connecting) ++stats_.connections_closed;
  c->batch.clear();
  if (c->dirty) {
    auto it = std::find(dirty_.begin(), dirty_.end(), c);
    if (it != dirty_.end()) {
      *it = dirty_.back();
      dirty_.pop_back();
    }
    c->dirty = false;
  }
  if (notify) notice(false, c->addr);
  auto it = conns_.find(c->addr);
  if (it != conns_.end() && it->second.get() == c) {
    graveyard_.push_back(std::move(it->second));
    conns_.erase(it);
  }
}

void TcpTransport::fail_dial(Conn* c) {
  ++stats_.connect_failures;
  stats_.send_errors += c->queued_pkts;  // the packets queued for it are lost
  notice(true, c->addr);
  close_conn(c, false);
}

void TcpTransport::close_connection(const TransportAddr& to) {
  if (Conn* c = find(to)) close_conn(c, false);
}

void TcpTransport::mark_authenticated(const TransportAddr& to) {
  if (Conn* c = find(to)) c->authenticated = true;
}

bool TcpTransport::evict_unauthenticated(const TransportAddr& like, bool same_ip) {
  Conn* oldest = nullptr;
  for (const auto& [k, cp] : conns_) {
    Conn* c = cp.get();
    if (!c->inbound || c->authenticated || c->closed) continue;
    if (same_ip && !(std::memcmp(k.ip(), like.ip(), 16) == 0 && k.is_v4() == like.is_v4()))
      continue;
    if (!oldest || c->accept_seq < oldest->accept_seq) oldest = c;
  }
  if (!oldest) return false;
  ++stats_.unauthenticated_evicted;
  close_conn(oldest, true);
  return true;
}

void TcpTransport::notice(bool connect_failed, const TransportAddr& a) {
  if (notices_.size() < lim_.max_notices) notices_.push_back({connect_failed, a});
}

// Sink callbacks for failures and closes run only here, at the end of our
// own handlers and ticks, never from inside send()/flush() or a receive loop.
void TcpTransport::deliver_notices() {
  if (depth_ != 0 || notices_.empty()) return;
  notices_scratch_.swap(notices_);
  ++depth_;
  for (const Notice& n : notices_scratch_) {
    if (n.connect_failed)
      sink_.on_connect_failed(id_, n.addr);
    else
      sink_.on_connection_closed(id_, n.addr);
  }
  --depth_;
  notices_scratch_.clear();
}

void TcpTransport::reap() {
  if (depth_ == 0) graveyard_.clear();
}

// ---- events ----------------------------------------------------------------

void TcpTransport::on_listener_event(uint32_t) {
  reap();
  ++depth_;
  for (size_t i = 0; i < kAcceptsPerEvent && listener_; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        // EMFILE/ENFILE/ENOBUFS: stop polling the listener until the next
        // tick instead of spinning on a level-triggered readable fd.
        loop_.modify(listener_.get(), 0);
        listener_paused_ = true;
      }
      break;
    }
    UniqueFd f(fd);
    const TransportAddr a = TransportAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    // Strangers cannot squat the slots: at the cap (or at the per-IP limit)
    // the oldest connection that has not authenticated a link gives way.
    size_t same_ip = 0;
    for (const auto& [k, cp] : conns_)
      same_ip += cp->inbound && !cp->authenticated && !cp->closed &&
                 std::memcmp(k.ip(), a.ip(), 16) == 0 && k.is_v4() == a.is_v4();
    if ((same_ip >= lim_.max_unauthenticated_per_ip && !evict_unauthenticated(a, true)) ||
        (inbound_ >= effective_max_inbound() && !evict_unauthenticated(a, false))) {
      ++stats_.connections_rejected;  // accepted, closed at once (reference)
      continue;
    }
    (void)configure(f.get());
    if (Conn* old = find(a)) close_conn(old, true);  // one connection per address
    auto conn = std::make_unique<Conn>();
    Conn* c = conn.get();
    c->addr = a;
    c->inbound = true;
    c->mtu = mss_mtu(f.get(), cfg_.mtu);
    c->rx.emplace(c->mtu);
    c->batch.reserve(lim_.batch_packets);
    c->fd = std::move(f);
    if (!loop_.add(c->fd.get(), EPOLLIN, [this, c](uint32_t ev) { on_conn_event(c, ev); })) {
      ++stats_.connections_rejected;
      continue;
    }
    c->accept_seq = ++accept_seq_;
    conns_.emplace(a, std::move(conn));
    ++inbound_;
    ++stats_.connections_accepted;
  }
  --depth_;
  deliver_notices();
}

void TcpTransport::on_conn_event(Conn* c, uint32_t events) {
  reap();  // c is live: a closed conn's handler is already unregistered
  ++depth_;
  if (c->is_connecting) {
    if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
      const int err = sock::take_error(c->fd.get());
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      if (err != 0)
        fail_dial(c);
      else if (::getpeername(c->fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) == 0)
        on_connected(c);
      // else: a stale event for a reused fd number; wait for the real one.
    }
  } else {
    if (events & EPOLLOUT) flush_conn(c);
    if (!c->closed && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable(c);
  }
  --depth_;
  deliver_notices();
}

void TcpTransport::on_readable(Conn* c) {
  bool delivered = false;
  for (size_t reads = 0; reads < lim_.max_reads_per_event && !c->closed; ++reads) {
    MutByteSpan space = c->rx->write_space();
    if (space.empty()) break;  // cannot happen: whole packets are always drained
    const ssize_t n = ::read(c->fd.get(), space.data(), space.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {  // EOF or a socket error: the reference counts both
      ++stats_.recv_errors;
      close_conn(c, true);
      break;
    }
    c->rx->commit(static_cast<size_t>(n));
    while (!c->closed) {
      auto pkt = c->rx->next();
      if (!pkt) {  // framing error: this connection only
        ++stats_.recv_errors;
        close_conn(c, true);
        break;
      }
      if (pkt->empty()) break;
      ++stats_.packets_recv;
      stats_.bytes_recv += pkt->size();
      (void)0;  // the handshake deadline holds until the link authenticates
      PacketBuf b = pool_.acquire();
      if (!b || !b.push_back(pkt->size())) {
        ++stats_.pool_exhausted;
        continue;
      }
      std::memcpy(b.data(), pkt->data(), pkt->size());
      sink_.on_packet(id_, c->addr, std::move(b));  // may close c or send on it
      delivered = true;
    }
    if (static_cast<size_t>(n) < space.size()) break;  // drained for now
  }
  if (delivered) sink_.on_burst_end();
}

void TcpTransport::tick(uint64_t now_ms) {
  reap();
  ++depth_;
  if (listener_paused_ && listener_) {
    loop_.modify(listener_.get(), EPOLLIN);
    listener_paused_ = false;
  }
  victims_.clear();
  for (auto& [a, cp] : conns_) {
    Conn* c = cp.get();
    const bool timed = c->is_connecting || (c->inbound && !c->authenticated);
    if (!timed) continue;
    if (c->deadline_ms == 0) {
      c->deadline_ms =
          now_ms + (c->is_connecting ? cfg_.connect_timeout_ms : lim_.first_frame_timeout_ms);
    } else if (now_ms >= c->deadline_ms) {
      victims_.push_back(c);
    }
  }
  for (Conn* c : victims_) {
    if (c->is_connecting)
      fail_dial(c);
    else
      close_conn(c, true);  // no link in time: not a recv error (reference)
  }
  victims_.clear();
  --depth_;
  deliver_notices();
}

}  // namespace fips
