// The daemon's control socket on the single-threaded event loop: one JSON
// request line per connection, one JSON response line back, then close.
// Never blocks the loop: sockets are non-blocking, every connection has a
// deadline (read, reply, write), at most max_connections are open at once,
// and a request is at most 4096 bytes. When every slot is taken, the client
// that has been sending its request the longest (past a short grace) gives
// its slot to the next one waiting in the listen backlog, so idle local
// clients cannot deny the socket to fipsctl (one request, sent at once);
// only when no such client exists do further clients wait in the backlog. Response texts follow the reference
// (docs/spec/control.md §1): "empty request", "read error: request too large",
// "read error: stream did not contain valid UTF-8", "read timeout",
// "invalid request: <serde_json message>", "query timeout".
// Not here: what commands do (the daemon's ControlHandler, control/commands.h,
// control/queries.h), JSON text (control/json_out.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "control/json_in.h"
#include "io/event_loop.h"
#include "io/fd.h"
#include "util/result.h"

namespace fips {

// A command's outcome: the `data` object, or the error `message`.
using ControlReply = Result<nlohmann::json, std::string>;

// Implemented by the daemon. Called on the loop thread for every well-formed
// request (any command name, including unknown ones: reply with
// unknown_command_message()). Return the reply now, or std::nullopt to reply
// later with ControlServer::complete(ticket, reply); a reply that does not
// arrive within reply_timeout_ms becomes "query timeout". handle() must not
// destroy or stop the server.
class ControlHandler {
 public:
  virtual ~ControlHandler() = default;
  virtual std::optional<ControlReply> handle(const ControlRequest& request, uint64_t ticket) = 0;
};

struct ControlServerOptions {
  uint64_t read_timeout_ms = 5000;   // whole request line; then "read timeout"
  uint64_t reply_timeout_ms = 5000;  // deferred handler replies; then "query timeout"
  uint64_t write_timeout_ms = 5000;  // response write; then the connection is dropped
  size_t max_connections = 64;       // open at once; more wait in the backlog
  // At the cap, a client still sending its request after this long gives
  // its slot to a waiting one (a real client sends its line at once).
  uint64_t evict_reading_after_ms = 50;
};

struct ControlServerStats {
  uint64_t accepted = 0;
  uint64_t responses = 0;        // response lines fully written
  uint64_t error_responses = 0;  // of which status "error"
  uint64_t read_timeouts = 0;
  uint64_t reply_timeouts = 0;
  uint64_t write_failures = 0;  // write error or write timeout
  uint64_t accept_errors = 0;
  uint64_t accept_pauses = 0;  // times the connection cap stopped accepting
  uint64_t evicted_idle = 0;   // slow or silent clients closed to make room at the cap
};

class ControlServer {
 public:
  ControlServer(EventLoop& loop, ControlHandler& handler, ControlServerOptions opts = {});
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds `path` under the socket policy (control/sockbind.h) and starts
  // accepting. Errors: "control socket already in use: <path>", OS errors.
  [[nodiscard]] Result<void, std::string> start(const std::string& path);
  // Stops accepting, drops open connections, unlinks the socket file.
  void stop();

  // Delivers a deferred reply; ignored when the ticket's client is gone or
  // already got "query timeout".
  void complete(uint64_t ticket, ControlReply reply);

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] bool listening() const { return listen_fd_.valid(); }
  [[nodiscard]] size_t connection_count() const { return conns_.size(); }
  [[nodiscard]] const ControlServerStats& stats() const { return stats_; }

 private:
  struct Conn;

  void on_listen_ready();
  void on_conn_event(uint64_t id, uint32_t events);
  void on_timer();
  void read_request(Conn& c);
  void finish_request(Conn& c);
  void respond(Conn& c, std::string line, bool is_error);
  void write_some(Conn& c);
  void close_conn(uint64_t id);
  void set_accepting(bool on);
  // At the cap: closes the longest-reading client past its grace; false if none.
  bool evict_one_reader(uint64_t now);
  void rearm_timer();

  EventLoop& loop_;
  ControlHandler& handler_;
  ControlServerOptions opts_;
  UniqueFd listen_fd_;
  UniqueFd timer_fd_;
  std::string path_;
  bool accepting_ = false;
  uint64_t accept_resume_at_ = 0;  // after EMFILE and the like
  uint64_t evict_check_at_ = 0;    // at the cap: when the oldest reader's grace ends
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Conn>> conns_;
  ControlServerStats stats_;
};

}  // namespace fips
