// fipstop's pure core: the UI state, what to ask the daemon for it, how keys
// change it, and the screen it turns into. No curses and no sockets here:
// render() maps (control-socket replies, UI state, width, height) to exactly
// `height` lines of at most `width` columns, each with one style, so the same
// function drives the terminal (apps/fipstop/main.cc) and the unit tests
// (tests/fipstop/render_test.cc). Tabs, keys and columns follow the
// reference's docs/reference/cli-fipstop.md and src/bin/fipstop/.
// A reply that lacks a field shows "-" in that cell; a command the daemon
// refuses shows "not available from this daemon: <error>" on its tab.
// Not here: the terminal, the poll thread (main.cc), the control-socket client
// (src/control/client.h).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fipstop {

enum class Tab : uint8_t {
  kNode,
  kPeers,
  kTransports,
  kSessions,
  kTree,
  kFilters,
  kPerformance,
  kRouting,
  kGraphs,
  kGateway
};
inline constexpr int kTabCount = 10;
const char* tab_label(Tab tab);

// One control-socket exchange. ok: the daemon answered status "ok" and `data`
// holds its data. Otherwise `error` says why; daemon_error tells a refusal by
// the daemon (unknown command, bad params) from a socket failure.
struct Reply {
  bool ok = false;
  bool daemon_error = false;
  nlohmann::json data;
  std::string error;
};
// Keyed by Query::key.
using Replies = std::map<std::string, Reply>;

struct Query {
  std::string key;       // where the reply is stored (the command, or command+params)
  std::string request;   // the exact request line, '\n' included
  bool gateway = false;  // sent to the fips-gateway socket, not the daemon's
  bool operator==(const Query&) const = default;
};

enum class GraphsMode : uint8_t { kNode, kMetricByPeer, kPeerByMetric };

struct SortState {
  int col = 0;
  bool descending = false;
};

struct UiState {
  Tab tab = Tab::kNode;
  std::array<int, kTabCount> selected{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
  bool detail = false;
  bool help = false;
  // Del on a peer: who is asked about (npub, display name) until y / n.
  std::optional<std::pair<std::string, std::string>> confirm;
  std::array<int, kTabCount> focus{};                  // focused pane (pane tabs)
  std::array<std::array<int, 3>, kTabCount> scroll{};  // per-pane scroll offsets
  std::set<uint64_t> expanded;                         // expanded transport ids
  SortState mmp_link, mmp_session, graphs_peer;
  int graphs_window = 1;  // index into the windows list: 10m / 1s, as the reference
  GraphsMode graphs_mode = GraphsMode::kNode;
  int graphs_metric = 0;  // per-peer metric (MetricByPeer)
  int graphs_peer_idx = 0;
  int graphs_scroll = 0;
  // Status bar inputs (set by the shell).
  bool connected = false;
  std::string conn_error = "not yet connected";
  double refresh_secs = 2;
  double updated_ago = 0;
  std::string message;  // last action result, e.g. a disconnect error
  bool ascii = false;   // no UTF-8 locale: ASCII plot cells and marks (Graphs)
  std::string socket_path;
  std::string gateway_socket_path;
};

// The queries the current state needs, show_status always first.
std::vector<Query> queries_for(const UiState& ui, const Replies& replies);

// Keys as the shell delivers them: printable characters as themselves,
// special keys from this enum (values above any byte).
enum Key : int {
  kKeyEnter = 10,
  kKeyEsc = 27,
  kKeyCtrlC = 3,
  kKeyTab = 9,
  kKeyUp = 0x1000,
  kKeyDown,
  kKeyLeft,
  kKeyRight,
  kKeyPageUp,
  kKeyPageDown,
  kKeyHome,
  kKeyEnd,
  kKeyBackTab,
  kKeyDelete,
};
struct KeyResult {
  bool quit = false;
  bool refetch = false;                   // the queries changed: poll now
  std::optional<std::string> disconnect;  // npub to send `disconnect` for
};
KeyResult handle_key(UiState& ui, int key, const Replies& replies);

// kParent / kChild: a peer row by tree role (colour only; plain on monochrome).
enum class Style : uint8_t {
  kNormal,
  kTitle,
  kHeader,
  kSelected,
  kDim,
  kAlert,
  kGood,
  kParent,
  kChild
};
struct ScreenLine {
  std::string text;  // UTF-8, at most `width` display columns
  Style style = Style::kNormal;
};
std::vector<ScreenLine> render(const Replies& replies, const UiState& ui, int width, int height);
// Pulls the state back inside what the replies and the screen allow: the
// selection within the rows, pane scroll offsets within their content (so
// Up after End moves at once). The shell calls it before each render().
void settle(UiState& ui, const Replies& replies, int width, int height);

// Helpers the tests and the shell share.
int display_width(const std::string& s);           // code points (no wide-char handling)
std::string fit(const std::string& s, int width);  // truncate ("~" marks a cut) or pad
std::string short_npub(const std::string& npub);   // npub1abcdefgh...wxyz (18 columns)
// Rows a table tab can select (Peers, Transports, Sessions, Gateway); 0 elsewhere.
int selectable_rows(const Replies& replies, const UiState& ui);

}  // namespace fipstop
