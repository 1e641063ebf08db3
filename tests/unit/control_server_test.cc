// The control socket server on a real event loop (own thread) with real Unix
// sockets in a temp dir: normal requests, every error path of the reference,
// timeouts (shortened through ControlServerOptions), deferred replies, 100
// concurrent clients, a loop that stays responsive, and the bind policy.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "control/client.h"
#include "control/commands.h"
#include "control/json_out.h"
#include "control/queries.h"
#include "control/server.h"
#include "control/sockbind.h"

namespace fips {
namespace {

using nlohmann::json;

class TestHandler : public ControlHandler {
 public:
  std::optional<ControlReply> handle(const ControlRequest& r, uint64_t ticket) override {
    ++calls;
    if (r.command == "show_status") return ControlReply(show_status_data(status));
    if (r.command == "echo") return ControlReply(r.params ? *r.params : json(nullptr));
    if (r.command == "defer") {
      deferred.push_back(ticket);
      return std::nullopt;
    }
    if (r.command == "sync_complete") {  // completes inside handle()
      server->complete(ticket, ControlReply(json{{"sync", true}}));
      return std::nullopt;
    }
    if (r.command == "connect") {
      auto p = parse_connect_params(r.params_ptr());
      if (!p) return ControlReply(make_err(p.error()));
      return ControlReply(connect_result(*p, false));
    }
    return ControlReply(make_err(unknown_command_message(r.command)));
  }

  ControlServer* server = nullptr;
  StatusSnapshot status;
  std::vector<uint64_t> deferred;
  int calls = 0;
};

// Blocking client: connect, send, optionally half-close, read to EOF.
int connect_to(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, std::string_view data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close early (too large): fine
    off += static_cast<size_t>(n);
  }
}

std::string read_to_eof(int fd, int timeout_ms = 5000) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return out + "<timeout>";
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

std::string talk(const std::string& path, std::string_view request, bool half_close = true) {
  int fd = connect_to(path);
  if (fd < 0) return "<connect failed>";
  send_all(fd, request);
  if (half_close) ::shutdown(fd, SHUT_WR);
  std::string r = read_to_eof(fd);
  ::close(fd);
  return r;
}

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fips-ctl-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/run/fips/control.sock";  // parents do not exist yet
    loop_.on_wake([this] { drain_tasks(); });
  }

  void TearDown() override {
    stop_loop();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start(ControlServerOptions opts = {}) {
    server_ = std::make_unique<ControlServer>(loop_, handler_, opts);
    handler_.server = server_.get();
    auto r = server_->start(path_);
    ASSERT_TRUE(r.ok()) << r.error();
    thread_ = std::thread([this] { loop_.run(); });
  }

  // Runs f on the loop thread and waits for it.
  void on_loop(std::function<void()> f) {
    std::promise<void> done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back([&] {
        f();
        done.set_value();
      });
    }
    loop_.wake();
    done.get_future().wait();
  }

  void stop_loop() {
    if (!thread_.joinable()) return;
    on_loop([this] { loop_.stop(); });
    thread_.join();
  }

  void drain_tasks() {
    std::deque<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks.swap(tasks_);
    }
    for (auto& t : tasks) t();
  }

  std::string dir_, path_;
  EventLoop loop_;
  TestHandler handler_;
  std::unique_ptr<ControlServer> server_;
  std::thread thread_;
  std::mutex mu_;
  std::deque<std::function<void()>> tasks_;
};

TEST_F(ControlServerTest, NormalRequestAndFipsctlClient) {
  handler_.status.npub = "npub1x";
  handler_.status.sparklines["bytes_in"] = {1.0, 2.5};
  start();
  const std::string want = ok_response_line(show_status_data(handler_.status));
  EXPECT_EQ(talk(path_, "{\"command\":\"show_status\"}\n"), want);
  // No newline, then half-close: accepted. Bytes after the newline: ignored.
  EXPECT_EQ(talk(path_, "{\"command\":\"show_status\"}"), want);
  EXPECT_EQ(talk(path_, "{\"command\":\"show_status\"}\n{\"command\":\"other\"}\ntrash"), want);
  // Without half-close the newline ends the request.
  EXPECT_EQ(talk(path_, "{\"command\":\"show_status\"}\n", false), want);

  // fipsctl's client path against the real server.
  auto resp = send_control_request(path_, build_query_request("show_status"));
  ASSERT_TRUE(resp.ok()) << resp.error();
  EXPECT_EQ(render_control_response(*resp).out,
            json_pretty(show_status_data(handler_.status)) + "\n");
  auto conn = send_control_request(
      path_, build_command_request(
                 "connect", json{{"npub", "bogus"}, {"address", "a"}, {"transport", "udp"}}));
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ(render_control_response(*conn).err,
            "error: invalid peer npub 'bogus': bech32 decoding error: parsing failed\n");
  auto missing = send_control_request(dir_ + "/nope.sock", build_query_request("show_status"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "cannot connect to " + dir_ +
                                 "/nope.sock: No such file or directory (os error 2)\n"
                                 "Is the FIPS daemon running?");
}

TEST_F(ControlServerTest, ErrorResponsesMatchReference) {
  start();
  auto err = [](const char* msg) { return error_response_line(msg); };
  EXPECT_EQ(talk(path_, ""), err("empty request"));
  EXPECT_EQ(talk(path_, "\n"),
            err("invalid request: EOF while parsing a value at line 1 column 0"));
  EXPECT_EQ(talk(path_, "hello\n"), err("invalid request: expected value at line 1 column 1"));
  EXPECT_EQ(talk(path_, "{\"not_command\":1}\n"),
            err("invalid request: missing field `command` at line 1 column 17"));
  EXPECT_EQ(talk(path_, "{\"command\":\"show_foo\"}\n"), err("unknown command: show_foo"));
  EXPECT_EQ(talk(path_, "{" + std::string(4998, 'a') + "\n"), err("read error: request too large"));
  EXPECT_EQ(talk(path_, "\xff\xfe garbage\n"),
            err("read error: stream did not contain valid UTF-8"));
  EXPECT_EQ(talk(path_, std::string(6000, 'a') + "\xc3\n"),
            err("read error: stream did not contain valid UTF-8"));
  std::string garbage;
  for (int k = 0; k < 3000; ++k)
    garbage += static_cast<char>((k * 37) & 0x7f ? (k * 37) & 0x7f : 1);
  const std::string g = talk(path_, garbage + "\n");
  EXPECT_EQ(g.rfind("{\"status\":\"error\",\"message\":\"invalid request: ", 0), 0u) << g;
  // 4096 bytes including the newline is the largest accepted request.
  std::string max_req = "{\"command\":\"show_foo\"}";
  max_req.resize(4095, ' ');
  EXPECT_EQ(talk(path_, max_req + "\n"), err("unknown command: show_foo"));
  EXPECT_EQ(talk(path_, max_req + " \n"), err("read error: request too large"));
}

TEST_F(ControlServerTest, ReadTimeoutGetsAResponse) {
  ControlServerOptions opts;
  opts.read_timeout_ms = 150;
  start(opts);
  // Connects and sends nothing (no EOF either).
  int silent = connect_to(path_);
  ASSERT_GE(silent, 0);
  EXPECT_EQ(read_to_eof(silent), error_response_line("read timeout"));
  ::close(silent);
  // A partial line that never ends.
  int partial = connect_to(path_);
  send_all(partial, "{\"command\":");
  EXPECT_EQ(read_to_eof(partial), error_response_line("read timeout"));
  ::close(partial);
  stop_loop();
  EXPECT_EQ(server_->stats().read_timeouts, 2u);
}

TEST_F(ControlServerTest, DeferredRepliesAndQueryTimeout) {
  ControlServerOptions opts;
  opts.reply_timeout_ms = 150;
  start(opts);
  EXPECT_EQ(talk(path_, "{\"command\":\"defer\"}\n"), error_response_line("query timeout"));
  EXPECT_EQ(talk(path_, "{\"command\":\"sync_complete\"}\n"),
            ok_response_line(json{{"sync", true}}));

  // Deferred, then completed from the loop thread.
  int fd = connect_to(path_);
  send_all(fd, "{\"command\":\"defer\"}\n");
  ::shutdown(fd, SHUT_WR);
  for (int k = 0; k < 500; ++k) {  // wait until the handler has seen it (bounded)
    size_t n = 0;
    on_loop([&] { n = handler_.deferred.size(); });
    if (n == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  on_loop([&] {
    ASSERT_EQ(handler_.deferred.size(), 2u);
    server_->complete(handler_.deferred[1], ControlReply(json{{"late", 1}}));
    server_->complete(handler_.deferred[0], ControlReply(json{{"too_late", 1}}));  // ignored
    server_->complete(987654, ControlReply(json{{"nobody", 1}}));                  // ignored
  });
  EXPECT_EQ(read_to_eof(fd), ok_response_line(json{{"late", 1}}));
  ::close(fd);
  stop_loop();
  EXPECT_EQ(server_->stats().reply_timeouts, 1u);
}

TEST_F(ControlServerTest, StopAnswersWaitingClientsAndUnlinks) {
  start();
  int fd = connect_to(path_);
  send_all(fd, "{\"command\":\"defer\"}\n");
  for (int k = 0; k < 500; ++k) {
    size_t n = 0;
    on_loop([&] { n = handler_.deferred.size(); });
    if (n == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  on_loop([&] { server_->stop(); });
  EXPECT_EQ(read_to_eof(fd), error_response_line("node shutting down"));
  ::close(fd);
  struct stat st {};
  EXPECT_NE(::stat(path_.c_str(), &st), 0);  // socket file removed
}

TEST_F(ControlServerTest, HundredConcurrentClients) {
  ControlServerOptions opts;  // max_connections 64: the rest wait in the backlog
  opts.evict_reading_after_ms = 60'000;  // all connect first, then all send
  start(opts);
  constexpr int kClients = 100;
  std::vector<int> fds;
  for (int k = 0; k < kClients; ++k) {
    int fd = connect_to(path_);
    ASSERT_GE(fd, 0) << k;
    fds.push_back(fd);
  }
  for (int k = 0; k < kClients; ++k) {
    send_all(fds[k], build_command_request("echo", json{{"client", k}}));
    ::shutdown(fds[k], SHUT_WR);
  }
  for (int k = 0; k < kClients; ++k) {
    EXPECT_EQ(read_to_eof(fds[k]), ok_response_line(json{{"client", k}})) << k;
    ::close(fds[k]);
  }
  stop_loop();
  EXPECT_EQ(server_->stats().responses, static_cast<uint64_t>(kClients));
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(ControlServerTest, SlowAndSilentClientsDoNotBlockOthers) {
  ControlServerOptions opts;
  opts.read_timeout_ms = 3000;
  start(opts);
  int silent = connect_to(path_);
  int dripping = connect_to(path_);
  ASSERT_GE(silent, 0);
  ASSERT_GE(dripping, 0);
  send_all(dripping, "{\"comm");  // half a request, then nothing
  // A fat garbage client too.
  int fat = connect_to(path_);
  send_all(fat, std::string(20000, 'x'));

  // Other clients are served while those three are pending.
  for (int k = 0; k < 5; ++k)
    EXPECT_EQ(talk(path_, "{\"command\":\"echo\",\"params\":" + std::to_string(k) + "}\n"),
              ok_response_line(json(k)));
  // The loop's own timer still fires.
  std::promise<void> fired;
  on_loop([&] {
    loop_.on_timer([&] { fired.set_value(); });
    loop_.set_deadline(monotonic_ms() + 1);
  });
  EXPECT_EQ(fired.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  // ...and the pending clients still have no answer.
  for (int fd : {silent, dripping, fat}) {
    pollfd p{fd, POLLIN, 0};
    EXPECT_EQ(::poll(&p, 1, 0), 0);
  }
  size_t open = 0;
  on_loop([&] { open = server_->connection_count(); });
  EXPECT_EQ(open, 3u);
  ::close(silent);
  ::close(dripping);
  ::close(fat);
}

// Issue 15 (6): clients that connect and send nothing hold every slot and
// more wait behind them; a fipsctl-like client (one request, sent at once)
// is still answered within a second, because at the cap the longest-idle
// reader gives way to the next client in the backlog.
TEST_F(ControlServerTest, IdleClientsCannotDenyTheSocket) {
  ControlServerOptions opts;
  opts.max_connections = 8;
  opts.evict_reading_after_ms = 100;
  start(opts);
  std::vector<int> idle;
  for (int k = 0; k < 40; ++k) {  // 8 slots, 32 more waiting in the backlog
    int fd = connect_to(path_);
    ASSERT_GE(fd, 0) << k;
    idle.push_back(fd);
  }
  for (int round = 0; round < 3; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(talk(path_, "{\"command\":\"echo\",\"params\":1}\n"), ok_response_line(json(1)));
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(ms, 1000) << "round " << round;
  }
  uint64_t evicted = 0;
  on_loop([&] { evicted = server_->stats().evicted_idle; });
  EXPECT_GE(evicted, 1u);
  // An evicted client is told why, as a read timeout would tell it.
  int told = 0;
  for (int fd : idle) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) == 1 && read_to_eof(fd, 100) == error_response_line("read timeout")) ++told;
    ::close(fd);
  }
  EXPECT_GE(told, 1);
}

TEST_F(ControlServerTest, BindPolicy) {
  start();
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0770u);
  ASSERT_EQ(::stat((dir_ + "/run/fips").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);  // created by the bind

  // A live socket is not stolen.
  auto again = bind_unix_listener(path_, "control");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), "control socket already in use: " + path_);

  // A stale socket file is replaced.
  const std::string stale = dir_ + "/stale.sock";
  {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, stale.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);  // file left behind, nobody listening
  }
  auto fresh = bind_unix_listener(stale, "control");
  EXPECT_TRUE(fresh.ok()) << fresh.error();
  remove_unix_socket_file(stale);

  // An existing parent that is not ours keeps its mode.
  const std::string shared = dir_ + "/shared";
  ASSERT_EQ(::mkdir(shared.c_str(), 0711), 0);
  auto in_shared = bind_unix_listener(shared + "/c.sock", "control");
  ASSERT_TRUE(in_shared.ok());
  ASSERT_EQ(::stat(shared.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0711u);

  auto too_long = bind_unix_listener(dir_ + "/" + std::string(200, 'x'), "control");
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error(), "path must be shorter than SUN_LEN");
}

}  // namespace
}  // namespace fips
