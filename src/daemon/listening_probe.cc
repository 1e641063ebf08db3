#include "daemon/listening_probe.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>

#include "control/firewall_state.h"

extern char** environ;

namespace fips {
namespace {

// A whole small file (/proc files report size 0, so read until EOF), at most
// `max` bytes.
std::optional<std::string> read_file(const std::string& path, size_t max = 16 * 1024 * 1024) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max) break;
  }
  return out;
}

std::vector<uint32_t> pids(const std::string& proc_root) {
  std::vector<uint32_t> v;
  DIR* d = ::opendir(proc_root.c_str());
  if (!d) return v;
  while (const dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const unsigned long p = std::strtoul(e->d_name, &end, 10);
    if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && *end == '\0' && p <= UINT32_MAX)
      v.push_back(static_cast<uint32_t>(p));
  }
  ::closedir(d);
  std::sort(v.begin(), v.end());
  return v;
}

// inode -> (pid, comm) for the wanted inodes: walks processes in pid order
// and stops once every inode is found, so the lowest pid holding a socket
// wins. Processes we may not read, or that exit meanwhile, are skipped.
std::map<uint64_t, std::pair<uint32_t, std::string>> owners(const std::string& proc_root,
                                                           std::set<uint64_t> wanted) {
  std::map<uint64_t, std::pair<uint32_t, std::string>> found;
  for (uint32_t pid : pids(proc_root)) {
    if (wanted.empty()) break;
    const std::string dir = proc_root + "/" + std::to_string(pid);
    DIR* d = ::opendir((dir + "/fd").c_str());
    if (!d) continue;
    std::vector<uint64_t> mine;
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      char target[64];
      const std::string link = dir + "/fd/" + e->d_name;
      const ssize_t n = ::readlink(link.c_str(), target, sizeof target);
      if (n <= 0 || static_cast<size_t>(n) >= sizeof target) continue;
      auto inode = listening::socket_inode(std::string_view(target, static_cast<size_t>(n)));
      if (inode && wanted.erase(*inode)) mine.push_back(*inode);
    }
    ::closedir(d);
    if (mine.empty()) continue;
    std::string comm = read_file(dir + "/comm", 256).value_or("");
    while (!comm.empty() && (comm.back() == '\n' || comm.back() == '\0')) comm.pop_back();
    for (uint64_t i : mine) found[i] = {pid, comm};
  }
  return found;
}

uint64_t now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// argv[0] as given when it holds a '/', else the first of PATH, /usr/sbin,
// /sbin that has it.
std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  std::string dirs = ::getenv("PATH") ? ::getenv("PATH") : "";
  dirs += ":/usr/sbin:/sbin";
  size_t i = 0;
  while (i <= dirs.size()) {
    size_t j = dirs.find(':', i);
    if (j == std::string::npos) j = dirs.size();
    std::string cand = (j > i ? dirs.substr(i, j - i) : ".") + "/" + name;
    if (::access(cand.c_str(), X_OK) == 0) return cand;
    i = j + 1;
  }
  return {};
}

}  // namespace

std::optional<std::string> run_nft(const ListeningProbeOptions& opts) {
  if (opts.nft_argv.empty()) return std::nullopt;
  const std::string prog = find_program(opts.nft_argv[0]);
  if (prog.empty()) return std::nullopt;  // nft not installed
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return std::nullopt;
  UniqueFd rd(p[0]), wr(p[1]);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, wr.get(), 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  // The daemon blocks its signals for signalfd; the child starts clean.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  for (const std::string& a : opts.nft_argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, prog.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  wr.reset();
  if (rc != 0) return std::nullopt;

  std::string out;
  bool ok = true;
  const uint64_t deadline = now_ms() + opts.nft_timeout_ms;
  for (;;) {
    const uint64_t t = now_ms();
    if (t >= deadline) {
      ok = false;
      break;
    }
    pollfd pfd{rd.get(), POLLIN, 0};
    const int n = ::poll(&pfd, 1, static_cast<int>(std::min<uint64_t>(deadline - t, 1000)));
    if (n < 0 && errno != EINTR) {
      ok = false;
      break;
    }
    if (n <= 0) continue;
    char buf[16384];
    const ssize_t r = ::read(rd.get(), buf, sizeof buf);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) break;  // EOF (or an error): the child is done writing
    out.append(buf, static_cast<size_t>(r));
    if (out.size() > opts.nft_max_output) {
      ok = false;
      break;
    }
  }
  if (!ok) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

nlohmann::json collect_listening_sockets(const listening::Ipv6Bytes& fips0,
                                         const ListeningProbeOptions& opts) {
  std::vector<listening::Socket> socks;
  listening::ParseStats stats;
  for (auto [file, proto] : {std::pair{"/net/tcp6", listening::Proto::kTcp},
                             std::pair{"/net/udp6", listening::Proto::kUdp}})
    if (auto text = read_file(opts.proc_root + file))
      listening::parse_proc_net(*text, proto, fips0, socks, stats);
  std::set<uint64_t> wanted;
  for (const auto& s : socks)
    if (s.inode != 0) wanted.insert(s.inode);
  if (!wanted.empty()) {
    auto own = owners(opts.proc_root, std::move(wanted));
    for (auto& s : socks)
      if (auto it = own.find(s.inode); s.inode != 0 && it != own.end()) {
        s.pid = it->second.first;
        s.process = it->second.second;
      }
  }
  listening::sort_sockets(socks);
  auto nft = run_nft(opts);
  const FilterClassifier fw =
      nft ? FilterClassifier::from_nft_json(*nft) : FilterClassifier::no_firewall();
  return listening::show_listening_sockets_data(fips0, socks, fw, stats.skipped);
}

ListeningProbe::ListeningProbe(EventLoop& loop, Done done, ListeningProbeOptions opts)
    : loop_(loop), done_(std::move(done)), opts_(std::move(opts)) {
  efd_ = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (efd_ && !loop_.add(efd_.get(), EPOLLIN, [this](uint32_t) { on_ready(); })) efd_.reset();
}

ListeningProbe::~ListeningProbe() {
  if (worker_.joinable()) worker_.join();
  if (efd_) loop_.remove(efd_.get());
}

std::optional<nlohmann::json> ListeningProbe::request(uint64_t ticket,
                                                      const listening::Ipv6Bytes& fips0) {
  if (!efd_) return collect_listening_sockets(fips0, opts_);  // no eventfd: inline
  waiting_.push_back(ticket);
  if (waiting_.size() > 1) return std::nullopt;  // the running collection answers it too
  if (worker_.joinable()) worker_.join();  // finished; its result was taken
  worker_ = std::thread([this, fips0] {
    nlohmann::json data = collect_listening_sockets(fips0, opts_);
    {
      std::lock_guard<std::mutex> g(mu_);
      result_ = std::move(data);
    }
    const uint64_t one = 1;
    (void)!::write(efd_.get(), &one, sizeof one);
  });
  return std::nullopt;
}

void ListeningProbe::on_ready() {
  uint64_t n = 0;
  (void)!::read(efd_.get(), &n, sizeof n);
  std::optional<nlohmann::json> data;
  {
    std::lock_guard<std::mutex> g(mu_);
    data.swap(result_);
  }
  if (!data) return;
  if (worker_.joinable()) worker_.join();
  auto tickets = std::move(waiting_);
  waiting_.clear();
  for (uint64_t t : tickets) done_(t, *data);
}

}  // namespace fips
