// Single-threaded epoll event loop with a monotonic millisecond clock, one
// timer (the owner multiplexes its own deadlines), signals via signalfd and
// a cross-thread wakeup via eventfd.
// Not here: protocol logic. Handlers run on the loop thread and must not block.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "io/fd.h"

namespace fips {

// Monotonic milliseconds (CLOCK_MONOTONIC). Protocol code never calls this:
// the shell reads it once per wakeup and passes it in.
uint64_t monotonic_ms();
// Wall-clock Unix seconds (for TreeAnnounce timestamps and the like).
uint64_t unix_seconds();
// Wall-clock Unix milliseconds (for operator-facing timestamps).
uint64_t unix_ms();

class EventLoop {
 public:
  using Handler = std::function<void(uint32_t events)>;

  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Registers fd for events (EPOLLIN etc.). The handler is called with the
  // ready event mask. fd must stay open until remove().
  bool add(int fd, uint32_t events, Handler h);
  bool modify(int fd, uint32_t events);
  void remove(int fd);

  // Arms the single timer at an absolute monotonic deadline (0 = disarm).
  void set_deadline(uint64_t at_ms);
  void on_timer(std::function<void()> h) { timer_handler_ = std::move(h); }

  // Blocks SIGINT/SIGTERM/SIGHUP (+ any in `extra`) for the process and
  // delivers them to h on the loop thread.
  bool watch_signals(std::function<void(int signo)> h);

  // Thread-safe: wakes the loop; the wake handler runs on the loop thread.
  void wake();
  void on_wake(std::function<void()> h) { wake_handler_ = std::move(h); }

  // Runs until stop(). Returns false on an epoll failure.
  bool run();
  void stop() { running_ = false; }
  // One round: wait up to timeout_ms (-1 = forever) and dispatch.
  bool run_once(int timeout_ms);

 private:
  UniqueFd ep_, timer_fd_, signal_fd_, event_fd_;
  // Handlers live behind stable pointers; remove() parks them in graveyard_
  // until the end of the dispatch round so a handler may remove itself.
  std::unordered_map<int, std::unique_ptr<Handler>> handlers_;
  std::vector<std::unique_ptr<Handler>> graveyard_;
  std::function<void()> timer_handler_;
  std::function<void(int)> signal_handler_;
  std::function<void()> wake_handler_;
  bool running_ = false;
};

}  // namespace fips
