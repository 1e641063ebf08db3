// fipstop: the live terminal view of a running node, as the reference's
// fipstop (docs/reference/cli-fipstop.md). This file is the shell: flags
// (CLI11), a poll thread that talks to the control socket, and the ncurses
// loop that turns keys into UiState changes and render() lines into the
// screen. All socket I/O happens on the poll thread with short timeouts, so a
// slow or dead daemon never stalls the keyboard; the screen is redrawn with
// erase() + refresh() (ncurses sends only the changed cells, no flicker).
// Not here: what is on the screen and how keys act (render.h), the request /
// response client (src/control/client.h).
#include <curses.h>
#include <CLI/CLI.hpp>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <clocale>
#include <langinfo.h>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cwchar>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "config/paths.h"
#include "control/client.h"
#include "render.h"
#include "version.h"

namespace {

using Clock = std::chrono::steady_clock;
std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) {
  g_stop = true;
}

// Socket timeout per request: short, so that a wedged daemon delays only the
// poll thread, and a restart is noticed within a refresh or two.
constexpr int kRequestTimeoutMs = 1500;

// Owns every control-socket exchange. The UI hands it the queries it wants and
// actions (disconnect); it polls every refresh interval or at once when kicked.
class Poller {
 public:
  Poller(std::string socket, std::string gateway_socket, std::chrono::milliseconds interval)
      : socket_(std::move(socket)),
        gateway_socket_(std::move(gateway_socket)),
        interval_(interval),
        thread_([this] { run(); }) {}
  ~Poller() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void want(std::vector<fipstop::Query> q) {
    std::lock_guard lk(mu_);
    if (q == wanted_) return;
    wanted_ = std::move(q);
    kick_ = true;
    cv_.notify_all();
  }
  void kick() {
    std::lock_guard lk(mu_);
    kick_ = true;
    cv_.notify_all();
  }
  void disconnect(const std::string& npub) {
    std::lock_guard lk(mu_);
    actions_.push_back(npub);
    kick_ = true;
    cv_.notify_all();
  }
  // Copies out the latest state; returns the generation (changes on news).
  uint64_t snapshot(fipstop::Replies* r, bool* connected, std::string* err, Clock::time_point* at,
                    std::string* message) {
    std::lock_guard lk(mu_);
    *r = replies_;
    *connected = connected_;
    *err = error_;
    *at = last_ok_;
    // An action's result stays in the status bar for 10 s.
    *message = Clock::now() - message_at_ < std::chrono::seconds(10) ? message_ : std::string();
    return gen_;
  }
  uint64_t generation() {
    std::lock_guard lk(mu_);
    return gen_;
  }

 private:
  void run() {
    std::unique_lock lk(mu_);
    while (!stop_) {
      cv_.wait_for(lk, interval_, [this] { return stop_ || kick_; });
      if (stop_) break;
      kick_ = false;
      auto queries = wanted_;
      std::deque<std::string> actions;
      actions.swap(actions_);
      lk.unlock();
      std::string message;
      for (const auto& npub : actions) {
        auto res = fips::send_control_request(
            socket_, fips::build_command_request("disconnect", {{"npub", npub}}),
            kRequestTimeoutMs);
        if (!res)
          message = "disconnect failed: " + res.error();
        else if (res.value().value("status", "") != "ok")
          message = "disconnect: " + res.value().value("message", std::string("error"));
        else
          message = "disconnected " + fipstop::short_npub(npub);
      }
      fipstop::Replies fresh;
      bool ok = true;
      std::string error;
      for (const auto& q : queries) {
        fipstop::Reply r;
        if (stop_) break;
        if (!ok && !q.gateway) {  // the daemon is gone: do not wait on every query
          r.error = error;
        } else if (auto res = fips::send_control_request(q.gateway ? gateway_socket_ : socket_,
                                                         q.request, kRequestTimeoutMs);
                   !res) {
          r.error = res.error();
          if (q.key == "show_status") {
            ok = false;
            error = r.error;
          }
        } else if (res.value().is_object() && res.value().value("status", "") == "ok") {
          r.ok = true;
          r.data = res.value().contains("data") ? res.value()["data"] : nlohmann::json();
        } else {
          r.daemon_error = true;
          r.error = res.value().is_object() ? res.value().value("message", std::string("error"))
                                            : std::string("bad reply");
        }
        fresh[q.key] = std::move(r);
      }
      lk.lock();
      for (auto& [k, r] : fresh) {
        // A daemon socket failure keeps the last good data on screen (marked
        // stale by the status bar); a refusal replaces it. The gateway's tab
        // empties when the gateway goes away, as the reference's.
        const bool gateway = k.rfind("gateway:", 0) == 0;
        if (!gateway && !r.ok && !r.daemon_error && replies_.count(k) && replies_[k].ok) continue;
        replies_[k] = std::move(r);
      }
      connected_ = ok;
      error_ = error;
      if (ok) last_ok_ = Clock::now();
      if (!message.empty()) {
        message_ = message;
        message_at_ = Clock::now();
      }
      ++gen_;
    }
  }

  const std::string socket_;
  const std::string gateway_socket_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  bool kick_ = true;
  std::vector<fipstop::Query> wanted_;
  std::deque<std::string> actions_;
  fipstop::Replies replies_;
  bool connected_ = false;
  std::string error_ = "not yet connected";
  std::string message_;
  Clock::time_point message_at_{};
  Clock::time_point last_ok_ = Clock::now();
  uint64_t gen_ = 0;
  std::thread thread_;  // last: starts after the members above exist
};

int map_key(int ch) {
  switch (ch) {
    case KEY_UP:
      return fipstop::kKeyUp;
    case KEY_DOWN:
      return fipstop::kKeyDown;
    case KEY_LEFT:
      return fipstop::kKeyLeft;
    case KEY_RIGHT:
      return fipstop::kKeyRight;
    case KEY_PPAGE:
      return fipstop::kKeyPageUp;
    case KEY_NPAGE:
      return fipstop::kKeyPageDown;
    case KEY_HOME:
      return fipstop::kKeyHome;
    case KEY_END:
      return fipstop::kKeyEnd;
    case KEY_BTAB:
      return fipstop::kKeyBackTab;
    case KEY_DC:
      return fipstop::kKeyDelete;
    case KEY_ENTER:
    case '\r':
      return fipstop::kKeyEnter;
    default:
      return ch;
  }
}

// Colour pairs per style; 0 = none (monochrome: attributes only).
bool g_colour = false;
// Draws one line at row y clipped to `width` terminal cells. render() counts
// code points; a wide character (CJK in a display name) takes two cells, and
// a line that overflowed would wrap onto the next row. Without a UTF-8 locale
// non-ASCII bytes are drawn as '?'.
void draw_line(int y, const std::string& text, int width) {
  std::wstring out;
  int used = 0;
  std::mbstate_t st{};
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    wchar_t wc = 0;
    size_t n = std::mbrtowc(&wc, p, static_cast<size_t>(end - p), &st);
    if (n == static_cast<size_t>(-1) || n == static_cast<size_t>(-2) || n == 0) {
      wc = L'?';
      n = 1;
      st = std::mbstate_t{};
    }
    int w = wcwidth(wc);
    if (w < 0) {
      wc = L'?';
      w = 1;
    }
    if (used + w > width) break;
    out.push_back(wc);
    used += w;
    p += n;
  }
  mvaddnwstr(y, 0, out.c_str(), -1);
}

attr_t attr_of(fipstop::Style s) {
  using fipstop::Style;
  switch (s) {
    case Style::kTitle:
      return A_BOLD | (g_colour ? COLOR_PAIR(1) : 0);
    case Style::kHeader:
      return A_BOLD | (g_colour ? COLOR_PAIR(2) : 0);
    case Style::kSelected:
      return A_REVERSE;
    case Style::kDim:
      return g_colour ? A_DIM : A_NORMAL;
    case Style::kAlert:
      return A_BOLD | (g_colour ? COLOR_PAIR(3) : 0);
    case Style::kGood:
      return g_colour ? COLOR_PAIR(4) : A_NORMAL;
    case Style::kParent:
      return g_colour ? COLOR_PAIR(5) : A_NORMAL;
    case Style::kChild:
      return g_colour ? COLOR_PAIR(1) : A_NORMAL;
    default:
      return A_NORMAL;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Live-status terminal UI for a running FIPS daemon", "fipstop"};
  std::string socket_path;
  std::string gateway_socket;
  double refresh_opt = 2;
  cli.add_option("-s,--socket", socket_path, "Control socket path (default: as fipsctl)");
  cli.add_option("--gateway-socket", gateway_socket,
                 "fips-gateway control socket (default: as the reference, gateway.sock)");
  cli.add_option("-r,--refresh", refresh_opt, "Poll interval in seconds")
      ->check(CLI::Range(0.1, 3600.0));
  cli.set_version_flag("-V,--version", std::string("fipstop ") + FIPS_VERSION_STRING);
  CLI11_PARSE(cli, argc, argv);
  if (socket_path.empty()) socket_path = fips::default_control_socket_path();
  if (gateway_socket.empty()) gateway_socket = fips::resolve_default_socket("gateway.sock");

  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
    std::fprintf(stderr, "fipstop: needs a terminal on stdin and stdout\n");
    return 1;
  }
  std::setlocale(LC_ALL, "");
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  setenv("ESCDELAY", "25", 0);  // Esc acts at once, not after a second
  if (!initscr()) {
    std::fprintf(stderr, "fipstop: cannot initialise the terminal\n");
    return 1;
  }
  raw();  // Ctrl-C arrives as a key; SIGINT from elsewhere still ends cleanly
  noecho();
  keypad(stdscr, TRUE);
  curs_set(0);
  timeout(100);
  const char* no_color = std::getenv("NO_COLOR");
  g_colour = has_colors() && !(no_color && *no_color);
  if (g_colour) {
    start_color();
    use_default_colors();
    init_pair(1, COLOR_CYAN, -1);
    init_pair(2, COLOR_YELLOW, -1);
    init_pair(3, COLOR_RED, -1);
    init_pair(4, COLOR_GREEN, -1);
    init_pair(5, COLOR_MAGENTA, -1);
  }

  fipstop::UiState ui;
  ui.refresh_secs = refresh_opt;
  ui.ascii = std::string_view(nl_langinfo(CODESET)) != "UTF-8";  // braille needs UTF-8
  ui.socket_path = socket_path;
  ui.gateway_socket_path = gateway_socket;
  {
    Poller poller(socket_path, gateway_socket,
                  std::chrono::milliseconds(static_cast<int64_t>(refresh_opt * 1000)));
    fipstop::Replies replies;
    Clock::time_point last_ok;
    uint64_t seen_gen = ~0ULL;
    auto last_draw = Clock::now() - std::chrono::seconds(10);
    bool dirty = true;
    int fast_errs = 0;
    while (!g_stop) {
      poller.want(fipstop::queries_for(ui, replies));
      uint64_t gen = poller.generation();
      if (gen != seen_gen) {
        seen_gen = poller.snapshot(&replies, &ui.connected, &ui.conn_error, &last_ok, &ui.message);
        dirty = true;
      }
      auto now = Clock::now();
      if (dirty || now - last_draw > std::chrono::milliseconds(500)) {
        ui.updated_ago = std::chrono::duration<double>(now - last_ok).count();
        int h = 0, w = 0;
        getmaxyx(stdscr, h, w);
        fipstop::settle(ui, replies, w, h);
        auto lines = fipstop::render(replies, ui, w, h);
        erase();
        for (size_t y = 0; y < lines.size(); ++y) {
          attr_t a = attr_of(lines[y].style);
          attron(a);
          if (lines[y].style == fipstop::Style::kSelected ||
              lines[y].style == fipstop::Style::kTitle)
            mvhline(static_cast<int>(y), 0, ' ', w);  // the bar spans the width
          draw_line(static_cast<int>(y), lines[y].text, w);
          attroff(a);
        }
        refresh();
        last_draw = now;
        dirty = false;
      }
      const auto before = Clock::now();
      int ch = getch();
      if (ch == ERR) {
        // getch() waits 100 ms for a key; a run of instant ERRs means the
        // terminal is gone (hang-up without SIGHUP): end instead of spinning.
        fast_errs = Clock::now() - before < std::chrono::milliseconds(20) ? fast_errs + 1 : 0;
        if (fast_errs > 50) break;
        continue;
      }
      fast_errs = 0;
      if (ch == KEY_RESIZE) {
        dirty = true;
        continue;
      }
      auto res = fipstop::handle_key(ui, map_key(ch), replies);
      dirty = true;
      if (res.quit) break;
      if (res.disconnect) poller.disconnect(*res.disconnect);
      if (res.refetch) {
        poller.want(fipstop::queries_for(ui, replies));
        poller.kick();
      }
    }
    endwin();  // restore the terminal first; the poll thread may still be in a request
  }
  return 0;
}
