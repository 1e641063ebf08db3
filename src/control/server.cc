#include "control/server.h"

#include <sys/socket.h>
#include <sys/timerfd.h>

#include <cerrno>
#include <ctime>
#include <vector>

#include "control/json_out.h"
#include "control/request_reader.h"
#include "control/sockbind.h"

namespace fips {
namespace {

constexpr int kAcceptsPerWakeup = 32;
constexpr int kReadsPerWakeup = 4;  // fairness: one client cannot hog the loop
constexpr size_t kReadChunk = 4096;
constexpr uint64_t kAcceptBackoffMs = 100;  // after EMFILE/ENFILE/ENOBUFS

}  // namespace

struct ControlServer::Conn {
  enum class Phase { kReading, kWaiting, kWriting };
  uint64_t id = 0;
  UniqueFd fd;
  Phase phase = Phase::kReading;
  uint64_t deadline = 0;
  uint64_t accepted_ms = 0;
  bool in_loop = false;  // registered with the event loop
  bool is_error = false;
  RequestReader reader;
  std::string out;
  size_t out_off = 0;
};

ControlServer::ControlServer(EventLoop& loop, ControlHandler& handler, ControlServerOptions opts)
    : loop_(loop),
      handler_(handler),
      opts_(opts),
      timer_fd_(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
  if (opts_.max_connections == 0) opts_.max_connections = 1;
  if (timer_fd_) loop_.add(timer_fd_.get(), EPOLLIN, [this](uint32_t) { on_timer(); });
}

ControlServer::~ControlServer() {
  stop();
  if (timer_fd_) loop_.remove(timer_fd_.get());
}

Result<void, std::string> ControlServer::start(const std::string& path) {
  if (listen_fd_) return Err{std::string("control socket already started: ") + path_};
  if (!timer_fd_) return Err{os_error_string(EMFILE)};
  auto fd = bind_unix_listener(path, "control");
  if (!fd) return Err{fd.error()};
  listen_fd_ = std::move(*fd);
  path_ = path;
  if (!loop_.add(listen_fd_.get(), EPOLLIN, [this](uint32_t) { on_listen_ready(); })) {
    const int err = errno;
    listen_fd_.reset();
    remove_unix_socket_file(path_);
    return Err{os_error_string(err)};
  }
  accepting_ = true;
  return ok_result<std::string>();
}

void ControlServer::stop() {
  for (auto& [id, c] : conns_) {
    if (c->phase == Conn::Phase::kWaiting) {  // best effort, never blocks
      const std::string line = error_response_line("node shutting down");
      [[maybe_unused]] ssize_t n =
          ::send(c->fd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    if (c->in_loop) loop_.remove(c->fd.get());
  }
  conns_.clear();
  if (listen_fd_) {
    loop_.remove(listen_fd_.get());
    listen_fd_.reset();
    remove_unix_socket_file(path_);
  }
  accepting_ = false;
  accept_resume_at_ = 0;
  evict_check_at_ = 0;
  rearm_timer();
}

void ControlServer::set_accepting(bool on) {
  if (!listen_fd_ || on == accepting_) return;
  loop_.modify(listen_fd_.get(), on ? static_cast<uint32_t>(EPOLLIN) : 0u);
  accepting_ = on;
}

void ControlServer::on_listen_ready() {
  for (int k = 0; k < kAcceptsPerWakeup; ++k) {
    if (conns_.size() >= opts_.max_connections && !evict_one_reader(monotonic_ms())) {
      // Every slot holds a request being served, or a reader inside its
      // grace: the rest wait in the backlog, resumed in close_conn or when
      // the youngest reader's grace ends.
      set_accepting(false);
      ++stats_.accept_pauses;
      uint64_t grace_end = 0;
      for (const auto& [id, c] : conns_)
        if (c->phase == Conn::Phase::kReading) {
          grace_end = c->accepted_ms + opts_.evict_reading_after_ms;
          break;  // ids grow with accept time: the first reader is the oldest
        }
      evict_check_at_ = grace_end;
      break;
    }
    const int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == EINTR || err == ECONNABORTED) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) break;
      ++stats_.accept_errors;
      // Out of descriptors or memory: the listen socket stays readable, so
      // stop polling it for a moment instead of spinning.
      set_accepting(false);
      accept_resume_at_ = monotonic_ms() + kAcceptBackoffMs;
      break;
    }
    auto c = std::make_unique<Conn>();
    c->id = next_id_++;
    c->fd.reset(fd);
    c->accepted_ms = monotonic_ms();
    c->deadline = c->accepted_ms + opts_.read_timeout_ms;
    const uint64_t id = c->id;
    if (!loop_.add(fd, EPOLLIN, [this, id](uint32_t ev) { on_conn_event(id, ev); })) {
      ++stats_.accept_errors;
      continue;  // c (and the fd) dropped
    }
    c->in_loop = true;
    ++stats_.accepted;
    conns_.emplace(id, std::move(c));
  }
  rearm_timer();
}

bool ControlServer::evict_one_reader(uint64_t now) {
  for (const auto& [id, c] : conns_) {  // ascending id = oldest first
    if (c->phase != Conn::Phase::kReading) continue;
    if (now < c->accepted_ms + opts_.evict_reading_after_ms) return false;
    ++stats_.evicted_idle;
    // Best effort, never blocks: the answer a read timeout would give.
    const std::string line = error_response_line("read timeout");
    [[maybe_unused]] ssize_t n =
        ::send(c->fd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    close_conn(id);  // iterator invalidated: return at once
    return true;
  }
  return false;
}

void ControlServer::on_conn_event(uint64_t id, uint32_t /*events*/) {
  // The event mask is not trusted (a descriptor number can be reused within
  // one epoll round); the read/write calls themselves tell what happened.
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  if (c.phase == Conn::Phase::kReading)
    read_request(c);
  else if (c.phase == Conn::Phase::kWriting)
    write_some(c);
  rearm_timer();
}

void ControlServer::read_request(Conn& c) {
  char buf[kReadChunk];
  for (int k = 0; k < kReadsPerWakeup; ++k) {
    const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      c.reader.feed(std::string_view(buf, static_cast<size_t>(n)));
      if (c.reader.done()) return finish_request(c);
      continue;
    }
    if (n == 0) {
      c.reader.feed_eof();
      return finish_request(c);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    return respond(c, error_response_line("read error: " + os_error_string(errno)), true);
  }
}

void ControlServer::finish_request(Conn& c) {
  const RequestReader::Outcome o = c.reader.outcome();
  if (o != RequestReader::Outcome::kLine)
    return respond(c, error_response_line(RequestReader::message(o)), true);
  auto req = parse_control_request(c.reader.line());
  if (!req) return respond(c, error_response_line("invalid request: " + req.error()), true);

  // Off the loop while the handler works: no events to spin on meanwhile.
  const uint64_t id = c.id;
  if (c.in_loop) {
    loop_.remove(c.fd.get());
    c.in_loop = false;
  }
  c.phase = Conn::Phase::kWaiting;
  c.deadline = monotonic_ms() + opts_.reply_timeout_ms;
  std::optional<ControlReply> reply = handler_.handle(*req, id);
  // `c` may be gone now (the handler may have completed the ticket itself).
  if (reply) complete(id, std::move(*reply));
}

void ControlServer::complete(uint64_t ticket, ControlReply reply) {
  auto it = conns_.find(ticket);
  if (it == conns_.end() || it->second->phase != Conn::Phase::kWaiting) return;
  if (reply.ok())
    respond(*it->second, ok_response_line(reply.value()), false);
  else
    respond(*it->second, error_response_line(reply.error()), true);
  rearm_timer();
}

void ControlServer::respond(Conn& c, std::string line, bool is_error) {
  c.out = std::move(line);
  c.out_off = 0;
  c.is_error = is_error;
  c.phase = Conn::Phase::kWriting;
  c.deadline = monotonic_ms() + opts_.write_timeout_ms;
  write_some(c);  // may close c
}

void ControlServer::write_some(Conn& c) {
  while (c.out_off < c.out.size()) {
    const ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_off, c.out.size() - c.out_off,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (c.in_loop) {
        loop_.modify(c.fd.get(), EPOLLOUT);
      } else {
        const uint64_t id = c.id;
        c.in_loop =
            loop_.add(c.fd.get(), EPOLLOUT, [this, id](uint32_t ev) { on_conn_event(id, ev); });
        if (!c.in_loop) break;  // cannot wait for writability: give up
      }
      return;
    }
    ++stats_.write_failures;
    return close_conn(c.id);
  }
  if (c.out_off >= c.out.size()) {
    ::shutdown(c.fd.get(), SHUT_WR);
    ++stats_.responses;
    if (c.is_error) ++stats_.error_responses;
  } else {
    ++stats_.write_failures;
  }
  close_conn(c.id);
}

void ControlServer::close_conn(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  if (it->second->in_loop) loop_.remove(it->second->fd.get());
  conns_.erase(it);  // closes the descriptor
  if (!accepting_ && accept_resume_at_ == 0 && conns_.size() < opts_.max_connections)
    set_accepting(true);
}

void ControlServer::on_timer() {
  uint64_t expirations = 0;
  while (::read(timer_fd_.get(), &expirations, sizeof expirations) > 0) {
  }
  const uint64_t now = monotonic_ms();
  if (accept_resume_at_ != 0 && now >= accept_resume_at_) {
    accept_resume_at_ = 0;
    if (conns_.size() < opts_.max_connections) set_accepting(true);
  }
  if (evict_check_at_ != 0 && now >= evict_check_at_) {
    evict_check_at_ = 0;
    // Still at the cap: on_listen_ready evicts a reader past its grace or
    // pauses again.
    if (accept_resume_at_ == 0) set_accepting(true);
  }
  std::vector<uint64_t> expired;
  for (const auto& [id, c] : conns_)
    if (c->deadline <= now) expired.push_back(id);
  for (uint64_t id : expired) {
    auto it = conns_.find(id);
    if (it == conns_.end()) continue;
    Conn& c = *it->second;
    switch (c.phase) {
      case Conn::Phase::kReading:
        ++stats_.read_timeouts;
        respond(c, error_response_line("read timeout"), true);
        break;
      case Conn::Phase::kWaiting:
        ++stats_.reply_timeouts;
        respond(c, error_response_line("query timeout"), true);
        break;
      case Conn::Phase::kWriting:
        ++stats_.write_failures;
        close_conn(id);
        break;
    }
  }
  rearm_timer();
}

void ControlServer::rearm_timer() {
  if (!timer_fd_) return;
  uint64_t next = accept_resume_at_;
  if (evict_check_at_ != 0 && (next == 0 || evict_check_at_ < next)) next = evict_check_at_;
  for (const auto& [id, c] : conns_)
    if (next == 0 || c->deadline < next) next = c->deadline;
  itimerspec its{};
  if (next != 0) {
    its.it_value.tv_sec = static_cast<time_t>(next / 1000);
    its.it_value.tv_nsec = static_cast<long>((next % 1000) * 1000000);
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  }
  ::timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &its, nullptr);
}

}  // namespace fips
