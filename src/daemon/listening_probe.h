// The I/O half of show_listening_sockets: reads /proc/net/tcp6 and udp6,
// resolves each listener's socket inode to a process through
// /proc/<pid>/fd/* and /proc/<pid>/comm, and runs `nft -j list table inet
// fips` (with a deadline) to learn what the firewall baseline does. The
// daemon never does this on its loop thread: ListeningProbe runs one
// collection at a time on a worker thread and answers every request that
// arrived meanwhile with its result, on the loop thread (eventfd).
// /proc/net is per network namespace, so a daemon in a namespace sees that
// namespace's sockets. Process names need the rights to read other users'
// /proc/<pid>/fd (root); without them pid and process are null, as the
// reference. Of several processes sharing a socket (a pre-forking server)
// the lowest pid is reported (the reference reports whichever it met last).
// Not here: parsing and the reply shape (control/listening.h), the nft rule
// classification (control/firewall_state.h).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "control/listening.h"
#include "io/event_loop.h"
#include "io/fd.h"

namespace fips {

struct ListeningProbeOptions {
  std::string proc_root = "/proc";
  // argv of the nft query; argv[0] is looked up in PATH, then in /usr/sbin
  // and /sbin (a daemon started with a minimal PATH still finds nft).
  std::vector<std::string> nft_argv = {"nft", "-j", "list", "table", "inet", "fips"};
  uint64_t nft_timeout_ms = 2000;          // then killed: no_firewall
  size_t nft_max_output = 4 * 1024 * 1024;  // more: killed, no_firewall
};

// The whole collection, blocking (tens of milliseconds; nft at most
// nft_timeout_ms). Returns the reply's `data`.
nlohmann::json collect_listening_sockets(const listening::Ipv6Bytes& fips0,
                                         const ListeningProbeOptions& opts = {});

// nft's stdout when it exits 0 within the deadline; nullopt otherwise.
std::optional<std::string> run_nft(const ListeningProbeOptions& opts);

class ListeningProbe {
 public:
  using Done = std::function<void(uint64_t ticket, nlohmann::json data)>;
  ListeningProbe(EventLoop& loop, Done done, ListeningProbeOptions opts = {});
  ~ListeningProbe();  // waits for a running collection (bounded by the nft deadline)
  ListeningProbe(const ListeningProbe&) = delete;
  ListeningProbe& operator=(const ListeningProbe&) = delete;

  // Answers `ticket` through Done with the running collection's result, or
  // starts one; returns the data itself only when it had to collect inline
  // (no eventfd). Loop thread only.
  std::optional<nlohmann::json> request(uint64_t ticket, const listening::Ipv6Bytes& fips0);

 private:
  void on_ready();

  EventLoop& loop_;
  Done done_;
  ListeningProbeOptions opts_;
  UniqueFd efd_;
  std::thread worker_;
  std::vector<uint64_t> waiting_;  // tickets the running collection answers
  std::mutex mu_;
  std::optional<nlohmann::json> result_;  // guarded by mu_
};

}  // namespace fips
