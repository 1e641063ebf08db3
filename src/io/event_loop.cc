#include "io/event_loop.h"

#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <cerrno>
#include <csignal>
#include <ctime>

namespace fips {

uint64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u + static_cast<uint64_t>(ts.tv_nsec) / 1000000u;
}

uint64_t unix_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec);
}

uint64_t unix_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u + static_cast<uint64_t>(ts.tv_nsec) / 1000000u;
}

EventLoop::EventLoop()
    : ep_(epoll_create1(EPOLL_CLOEXEC)),
      timer_fd_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)),
      event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  add(timer_fd_.get(), EPOLLIN, [this](uint32_t) {
    uint64_t n;
    while (::read(timer_fd_.get(), &n, sizeof n) > 0) {
    }
    if (timer_handler_) timer_handler_();
  });
  add(event_fd_.get(), EPOLLIN, [this](uint32_t) {
    uint64_t n;
    while (::read(event_fd_.get(), &n, sizeof n) > 0) {
    }
    if (wake_handler_) wake_handler_();
  });
}

bool EventLoop::add(int fd, uint32_t events, Handler h) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return false;
  handlers_[fd] = std::make_unique<Handler>(std::move(h));
  return true;
}

bool EventLoop::modify(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  return epoll_ctl(ep_.get(), EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::remove(int fd) {
  epoll_ctl(ep_.get(), EPOLL_CTL_DEL, fd, nullptr);
  auto it = handlers_.find(fd);
  if (it == handlers_.end()) return;
  graveyard_.push_back(std::move(it->second));
  handlers_.erase(it);
}

void EventLoop::set_deadline(uint64_t at_ms) {
  itimerspec its{};
  if (at_ms != 0) {
    its.it_value.tv_sec = static_cast<time_t>(at_ms / 1000);
    its.it_value.tv_nsec = static_cast<long>((at_ms % 1000) * 1000000);
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  }
  timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &its, nullptr);
}

bool EventLoop::watch_signals(std::function<void(int)> h) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) return false;
  signal_fd_.reset(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd_) return false;
  signal_handler_ = std::move(h);
  return add(signal_fd_.get(), EPOLLIN, [this](uint32_t) {
    signalfd_siginfo si{};
    while (::read(signal_fd_.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      if (signal_handler_) signal_handler_(static_cast<int>(si.ssi_signo));
    }
  });
}

void EventLoop::wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(event_fd_.get(), &one, sizeof one);
}

bool EventLoop::run_once(int timeout_ms) {
  epoll_event evs[64];
  int n = epoll_wait(ep_.get(), evs, 64, timeout_ms);
  if (n < 0) return errno == EINTR;
  for (int i = 0; i < n; ++i) {
    auto it = handlers_.find(evs[i].data.fd);
    if (it == handlers_.end()) continue;  // removed by an earlier handler this round
    (*it->second)(evs[i].events);
  }
  graveyard_.clear();
  return true;
}

bool EventLoop::run() {
  running_ = true;
  while (running_) {
    if (!run_once(-1)) return false;
  }
  return true;
}

}  // namespace fips
