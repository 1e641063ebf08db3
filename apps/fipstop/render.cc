// fipstop's pure core (see render.h): queries, key handling, screen lines.
#include "render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "render_graphs.h"
#include "render_listening.h"
#include "version.h"

namespace fipstop {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------- JSON access

const json* at(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}
const json* at(const json* j, const char* key) {
  return j ? at(*j, key) : nullptr;
}

const json& arr(const json* j, const char* key) {
  static const json kEmpty = json::array();
  const json* a = at(j, key);
  return a && a->is_array() ? *a : kEmpty;
}

std::string num(double v, int prec) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

// A scalar as text; "-" when absent.
std::string str(const json* j) {
  if (!j) return "-";
  if (j->is_string()) return j->get<std::string>();
  if (j->is_boolean()) return j->get<bool>() ? "true" : "false";
  if (j->is_number_unsigned()) return std::to_string(j->get<uint64_t>());
  if (j->is_number_integer()) return std::to_string(j->get<int64_t>());
  if (j->is_number_float()) return num(j->get<double>(), 2);
  return "-";
}
std::string str(const json* j, const char* key) {
  return str(at(j, key));
}
std::string str(const json* j, const char* k1, const char* k2) {
  return str(at(at(j, k1), k2));
}

std::optional<double> dbl(const json* j) {
  if (j && j->is_number()) return j->get<double>();
  return std::nullopt;
}
std::string fnum(const json* j, int prec, const char* suffix = "") {
  auto v = dbl(j);
  return v ? num(*v, prec) + suffix : "-";
}
bool flag(const json* j, const char* key) {
  const json* v = at(j, key);
  return v && v->is_boolean() && v->get<bool>();
}

std::string human_bytes(double v) {
  static const char* kUnits[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  return u == 0 ? num(v, 0) + " B" : num(v, 1) + " " + kUnits[u];
}
std::string bytes(const json* j) {
  auto v = dbl(j);
  return v ? human_bytes(*v) : "-";
}
std::string throughput(const json* j) {
  auto v = dbl(j);
  if (!v) return "-";
  double bps = *v;
  static const char* kUnits[] = {"bps", "Kbps", "Mbps", "Gbps"};
  int u = 0;
  while (bps >= 1000 && u < 3) {
    bps /= 1000;
    ++u;
  }
  return num(bps, u == 0 ? 0 : 1) + kUnits[u];
}
std::string uptime(const json* j) {
  auto v = dbl(j);
  if (!v) return "-";
  auto s = static_cast<uint64_t>(*v);
  char b[64];
  if (s >= 86400)
    std::snprintf(b, sizeof b, "%llud %02lluh %02llum", (unsigned long long)(s / 86400),
                  (unsigned long long)(s % 86400 / 3600), (unsigned long long)(s % 3600 / 60));
  else
    std::snprintf(b, sizeof b, "%lluh %02llum %02llus", (unsigned long long)(s / 3600),
                  (unsigned long long)(s % 3600 / 60), (unsigned long long)(s % 60));
  return b;
}
// acc += sep + piece, sep only between pieces.
void append(std::string& acc, const char* sep, const std::string& piece) {
  if (!acc.empty()) acc.append(sep);
  acc.append(piece);
}
std::string head(const std::string& hex, size_t n) {
  return hex.size() > n ? hex.substr(0, n) + "..." : hex;
}

// ---------------------------------------------------------------- text layout

struct Out {
  std::vector<ScreenLine> lines;
  int width = 80;
  // A message over as many lines as it needs (errors carry paths and a
  // second sentence after a newline); continuation lines are indented.
  void wrap(const std::string& text, Style style) {
    std::string line;
    auto flush = [&] {
      lines.push_back({line, style});
      line = "    ";
    };
    std::string word;
    const size_t indent = std::min(text.find_first_not_of(' '), text.size());
    line.assign(indent, ' ');  // keep the message's own indentation
    auto put = [&] {
      if (word.empty()) return;
      if (display_width(line) + 1 + display_width(word) > width &&
          line.find_first_not_of(' ') != std::string::npos)
        flush();
      if (!line.empty() && line.back() != ' ') line += ' ';
      line += word;
      word.clear();
    };
    for (char c : text.substr(indent)) {
      if (c == '\n') {
        put();
        flush();
      } else if (c == ' ')
        put();
      else
        word += c;
    }
    put();
    if (line.find_first_not_of(' ') != std::string::npos) lines.push_back({line, style});
  }
  void add(std::string text, Style style = Style::kNormal) {
    lines.push_back({std::move(text), style});
  }
  void section(const std::string& title) { add("-- " + title + " --", Style::kHeader); }
  void kv(const std::string& key, const std::string& value, int keyw = 14) {
    add(" " + fit(key + ":", keyw) + " " + value);
  }
};

struct Col {
  const char* title;
  int max;  // widest the column gets
  bool right = false;
};

// Rows of cells laid out under `cols`: each column as wide as its widest cell
// (capped), columns left to right while they fit; the rest are dropped.
struct Table {
  std::vector<Col> cols;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> lay(int width, std::string* header) const {
    std::vector<int> w(cols.size());
    for (size_t c = 0; c < cols.size(); ++c) {
      w[c] = display_width(cols[c].title);
      for (const auto& r : rows)
        if (c < r.size()) w[c] = std::max(w[c], display_width(r[c]));
      w[c] = std::min(w[c], cols[c].max);
    }
    size_t shown = 0;
    int used = 1;
    for (; shown < cols.size(); ++shown) {
      if (shown > 0 && used + w[shown] + 1 > width) break;
      used += w[shown] + 1;
    }
    auto line = [&](const std::vector<std::string>& cells) {
      std::string s = " ";
      for (size_t c = 0; c < shown; ++c) {
        const std::string cell = c < cells.size() ? cells[c] : "";
        std::string f = fit(cell, w[c]);
        if (cols[c].right && display_width(cell) < w[c])
          f = std::string(static_cast<size_t>(w[c] - display_width(cell)), ' ') + cell;
        s += f;
        if (c + 1 < shown) s += ' ';
      }
      return s;
    };
    std::vector<std::string> titles;
    for (const auto& c : cols) titles.emplace_back(c.title);
    *header = line(titles);
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(line(r));
    return out;
  }
};

// ------------------------------------------------------------------- queries

constexpr const char* kPeerMetrics[] = {"srtt_ms",    "loss_rate",   "bytes_in", "bytes_out",
                                        "packets_in", "packets_out", "ecn_ce"};
constexpr int kPeerMetricCount = 7;
constexpr std::pair<const char*, const char*> kWindows[] = {
    {"1m", "1s"}, {"10m", "1s"}, {"1h", "1s"}, {"24h", "1m"}};
constexpr int kWindowCount = 4;

std::string request(const char* command) {
  return std::string("{\"command\":\"") + command + "\"}\n";
}
std::string request(const char* command, const json& params) {
  // Keys sorted as serde_json writes them; nlohmann's object is a std::map.
  json r = {{"command", command}, {"params", params}};
  return r.dump() + "\n";
}

const Reply* reply(const Replies& rs, const std::string& key) {
  auto it = rs.find(key);
  return it == rs.end() ? nullptr : &it->second;
}
const json* data(const Replies& rs, const std::string& key) {
  const Reply* r = reply(rs, key);
  return r && r->ok ? &r->data : nullptr;
}

std::string graphs_key(const UiState& ui, const Replies& rs, std::string* req) {
  const auto& [window, gran] =
      kWindows[((ui.graphs_window % kWindowCount) + kWindowCount) % kWindowCount];
  json params = {{"granularity", gran}, {"window", window}};
  const char* cmd = "show_stats_all_history";
  if (ui.graphs_mode == GraphsMode::kMetricByPeer) {
    cmd = "show_stats_history_all_peers";
    params["metric"] = kPeerMetrics[ui.graphs_metric % kPeerMetricCount];
  } else if (ui.graphs_mode == GraphsMode::kPeerByMetric) {
    const json& peers = arr(data(rs, "show_stats_peers"), "peers");
    if (peers.empty()) return "";
    params["peer"] = str(&peers[static_cast<size_t>(ui.graphs_peer_idx) % peers.size()], "npub");
  }
  *req = request(cmd, params);
  return *req;
}

// ---------------------------------------------------------------- table rows

int group_rank(const json& p) {
  return flag(&p, "is_parent") ? 0 : flag(&p, "is_child") ? 1 : 2;
}

std::vector<const json*> peers_in_order(const Replies& rs) {
  std::vector<const json*> v;
  for (const auto& p : arr(data(rs, "show_peers"), "peers")) v.push_back(&p);
  std::stable_sort(v.begin(), v.end(),
                   [](const json* a, const json* b) { return group_rank(*a) < group_rank(*b); });
  return v;
}

struct TransportRow {
  const json* transport = nullptr;
  const json* link = nullptr;  // set for a link child row
};
std::vector<TransportRow> transport_rows(const Replies& rs, const UiState& ui) {
  std::vector<TransportRow> v;
  const json& links = arr(data(rs, "show_links"), "links");
  for (const auto& t : arr(data(rs, "show_transports"), "transports")) {
    v.push_back({&t, nullptr});
    const json* id = at(t, "transport_id");
    if (!id || !id->is_number_unsigned() || !ui.expanded.count(id->get<uint64_t>())) continue;
    for (const auto& l : links)
      if (at(l, "transport_id") && *at(l, "transport_id") == *id) v.push_back({&t, &l});
  }
  return v;
}

// Keeps the selection inside [−1, n).
int clamp_sel(int sel, int n) {
  return n == 0 ? -1 : std::min(sel, n - 1);
}

// Lines of a scrolling table: header, then rows with the selected one marked,
// scrolled so the selection stays visible within `rows_h` lines.
void table_out(Out& o, const Table& t, int sel, int width, int rows_h, Style header_style,
               const std::vector<Style>& row_styles = {}) {
  std::string header;
  auto lines = t.lay(width, &header);
  o.add(header, header_style);
  int first = 0;
  if (sel >= rows_h) first = sel - rows_h + 1;
  for (int i = first; i < static_cast<int>(lines.size()) && i < first + rows_h; ++i)
    o.add(lines[static_cast<size_t>(i)], i == sel ? Style::kSelected
                                         : static_cast<size_t>(i) < row_styles.size()
                                             ? row_styles[static_cast<size_t>(i)]
                                             : Style::kNormal);
}

// -------------------------------------------------------------- Node tab

// An ASCII sparkline of the last `n` numbers of an array (nulls blank).
std::string sparkline(const json& values, size_t n) {
  static const char kLevels[] = " .:-=+*#";
  std::vector<std::optional<double>> v;
  for (const auto& x : values) v.push_back(dbl(&x));
  if (v.size() > n) v.erase(v.begin(), v.end() - static_cast<std::ptrdiff_t>(n));
  double mx = 0;
  for (auto& x : v)
    if (x) mx = std::max(mx, *x);
  std::string out;
  for (auto& x : v)
    out += !x        ? ' '
           : mx <= 0 ? '.'
                     : kLevels[std::clamp(static_cast<int>(*x / mx * 7 + 0.5), 1, 7)];
  return out;
}

void node_tab(Out& o, const json* s) {
  o.section("Runtime");
  o.add(" ver: " + str(s, "version") + "  pid: " + str(s, "pid") +
        "  uptime: " + uptime(at(s, "uptime_secs")));
  o.add(" exe: " + str(s, "exe_path"));
  o.add(" ctl: " + str(s, "control_socket") + "  tun: " + str(s, "tun_name"));
  o.section("Identity");
  o.kv("npub", str(s, "npub"), 10);
  o.kv("node_addr", str(s, "node_addr"), 10);
  o.kv("ipv6", str(s, "ipv6_addr"), 10);
  const json* pers = at(s, "persistent");
  o.kv("identity",
       pers && pers->is_boolean() ? (pers->get<bool>() ? "persistent" : "ephemeral") : "-", 10);
  o.section("State");
  o.add(" state: " + str(s, "state") + "  tun: " + str(s, "tun_state") +
        "  mtu: " + str(s, "effective_ipv6_mtu") + "  leaf: " + str(s, "is_leaf_only"));
  o.add(" peers: " + str(s, "peer_count") + "  sessions: " + str(s, "session_count") +
        "  links: " + str(s, "link_count") + "  transports: " + str(s, "transport_count") +
        "  connections: " + str(s, "connection_count"));
  const json* mesh = at(s, "estimated_mesh_size");
  std::string root = flag(s, "is_root") ? "I am the one who roots" : head(str(s, "root"), 16);
  o.add(" mesh: " + (mesh ? "~" + str(mesh) : std::string("-")) + "  root: " + root);
  std::string by_type;
  if (const json* tp = at(s, "transport_peer_counts"); tp && tp->is_object())
    for (auto it = tp->begin(); it != tp->end(); ++it)
      append(by_type, ", ", it.key() + " (" + str(&it.value()) + ")");
  o.add(" transports: " + (by_type.empty() ? std::string("-") : by_type));
  // Sparklines, when the daemon keeps them (the reference's status.sparklines).
  std::string sparks;
  for (const char* k : {"mesh_size", "peer_count", "bytes_in", "bytes_out", "loss_rate"}) {
    const json& v = arr(at(s, "sparklines"), k);
    if (!v.empty()) append(sparks, "  ", std::string(k) + " [" + sparkline(v, 12) + "]");
  }
  if (!sparks.empty()) o.add(" " + sparks);
  o.section("Traffic");
  const json* f = at(s, "forwarding");
  auto pk = [&](const char* what) {
    std::string p = std::string(what) + "_packets", b = std::string(what) + "_bytes";
    return str(f, p.c_str()) + " pkts (" + bytes(at(f, b.c_str())) + ")";
  };
  o.add(" originated: " + pk("originated") + "  delivered: " + pk("delivered"));
  o.add(" forwarded:  " + pk("forwarded") + "  received: " + pk("received"));
  o.add(" dropped: no route " + str(f, "drop_no_route_packets") + ", mtu " +
        str(f, "drop_mtu_exceeded_packets") + ", send " + str(f, "drop_send_error_packets") +
        ", ttl " + str(f, "ttl_exhausted_packets"));
}

// -------------------------------------------------------------- Peers tab

std::string peer_transport(const json& p) {
  std::string t = at(p, "transport_type") ? str(&p, "transport_type") : "";
  std::string a = at(p, "transport_addr") ? str(&p, "transport_addr") : "";
  if (t.empty() && a.empty()) return "-";
  if (t.empty() || a.empty()) return t + a;
  return t + "/" + a;
}
std::string dir_short(const std::string& d) {
  return d == "inbound" || d == "Inbound" ? "in" : d == "outbound" || d == "Outbound" ? "out" : d;
}

void peer_detail(Out& o, const json& p) {
  o.section("Peer Detail (Esc closes)");
  o.kv("Name", str(&p, "display_name"));
  o.kv("Npub", str(&p, "npub"));
  o.kv("Node Addr", str(&p, "node_addr"));
  o.kv("IPv6", str(&p, "ipv6_addr"));
  o.kv("Tree Role", flag(&p, "is_parent") ? "parent" : flag(&p, "is_child") ? "child" : "other");
  o.kv("Connectivity", str(&p, "connectivity"));
  o.kv("Link ID", str(&p, "link_id"));
  o.kv("Direction", str(&p, "direction"));
  o.kv("Transport", peer_transport(p));
  o.kv("Tree Depth", str(&p, "tree_depth"));
  o.kv("Eff. Depth", fnum(at(p, "effective_depth"), 2));
  o.kv("Filter Seq", str(&p, "filter_sequence"));
  o.kv("Pkts Tx/Rx", str(&p, "stats", "packets_sent") + " / " + str(&p, "stats", "packets_recv"));
  o.kv("Bytes Tx/Rx",
       bytes(at(at(p, "stats"), "bytes_sent")) + " / " + bytes(at(at(p, "stats"), "bytes_recv")));
  const json* m = at(p, "mmp");
  o.kv("MMP", "mode " + str(m, "mode") + ", srtt " + fnum(at(m, "srtt_ms"), 1, "ms") + ", loss " +
                  fnum(at(m, "loss_rate"), 3) + ", etx " + fnum(at(m, "etx"), 2) + ", lqi " +
                  fnum(at(m, "lqi"), 2));
}

void peers_tab(Out& o, const Replies& rs, const UiState& ui, int width, int h) {
  auto peers = peers_in_order(rs);
  int sel = clamp_sel(ui.selected[static_cast<int>(Tab::kPeers)], static_cast<int>(peers.size()));
  if (ui.detail && sel >= 0) return peer_detail(o, *peers[static_cast<size_t>(sel)]);
  Table t{{{"Name", 20},
           {"Npub", 20},
           {"Role", 6},
           {"Transport", 24},
           {"Dir", 3},
           {"SRTT", 9, true},
           {"Loss", 6, true},
           {"LQI", 5, true},
           {"EffD", 5, true},
           {"Goodput", 10, true},
           {"Pkts Tx", 9, true},
           {"Pkts Rx", 9, true}},
          {}};
  for (const json* p : peers) {
    const json* m = at(*p, "mmp");
    const json* loss = at(m, "smoothed_loss") ? at(m, "smoothed_loss") : at(m, "loss_rate");
    t.rows.push_back({str(p, "display_name"), short_npub(str(p, "npub")),
                      group_rank(*p) == 0   ? "parent"
                      : group_rank(*p) == 1 ? "child"
                                            : "-",
                      peer_transport(*p), dir_short(str(p, "direction")),
                      fnum(at(m, "srtt_ms"), 1, "ms"), fnum(loss, 3), fnum(at(m, "lqi"), 2),
                      fnum(at(*p, "effective_depth"), 2), throughput(at(m, "goodput_bps")),
                      str(p, "stats", "packets_sent"), str(p, "stats", "packets_recv")});
  }
  std::vector<Style> roles;
  for (const json* p : peers)
    roles.push_back(group_rank(*p) == 0   ? Style::kParent
                    : group_rank(*p) == 1 ? Style::kChild
                                          : Style::kNormal);
  o.add(" Peers (" + std::to_string(peers.size()) + ")", Style::kTitle);
  if (peers.empty()) return o.add("  No peers", Style::kDim);
  table_out(o, t, sel, width, h - 2, Style::kHeader, roles);
}

// ---------------------------------------------------------- Transports tab

void transports_tab(Out& o, const Replies& rs, const UiState& ui, int width, int h) {
  auto rows = transport_rows(rs, ui);
  int sel =
      clamp_sel(ui.selected[static_cast<int>(Tab::kTransports)], static_cast<int>(rows.size()));
  if (ui.detail && sel >= 0) {
    const json* t = rows[static_cast<size_t>(sel)].transport;
    const json* l = rows[static_cast<size_t>(sel)].link;
    if (l) {
      o.section("Link Detail (Esc closes)");
      o.kv("Link ID", str(l, "link_id"));
      o.kv("Transport", str(l, "transport_id"));
      o.kv("Remote Addr", str(l, "remote_addr"));
      o.kv("Direction", str(l, "direction"));
      o.kv("State", str(l, "state"));
      o.kv("Pkts Tx/Rx", str(l, "stats", "packets_sent") + " / " + str(l, "stats", "packets_recv"));
      o.kv("Bytes Tx/Rx", bytes(at(at(l, "stats"), "bytes_sent")) + " / " +
                              bytes(at(at(l, "stats"), "bytes_recv")));
      return;
    }
    o.section("Transport Detail (Esc closes)");
    o.kv("Transport ID", str(t, "transport_id"));
    o.kv("Type", str(t, "type"));
    o.kv("State", str(t, "state"));
    o.kv("MTU", str(t, "mtu"));
    o.kv("Local Addr", str(t, "local_addr"));
    const json* st = at(t, "stats");
    o.kv("Pkts Tx/Rx", str(st, "packets_sent") + " / " + str(st, "packets_recv"));
    o.kv("Bytes Tx/Rx", bytes(at(st, "bytes_sent")) + " / " + bytes(at(st, "bytes_recv")));
    o.kv("Errors", "send " + str(st, "send_errors") + ", recv " + str(st, "recv_errors") +
                       ", kernel drops " + str(st, "kernel_drops"));
    return;
  }
  // Peer names for link rows, by transport address.
  std::map<std::string, std::string> peer_by_addr;
  for (const auto& p : arr(data(rs, "show_peers"), "peers"))
    if (at(p, "transport_addr")) peer_by_addr[str(&p, "transport_addr")] = str(&p, "display_name");
  Table t{
      {{"Transport / Link", 30}, {"State", 12}, {"Peer", 20}, {"Tx", 10, true}, {"Rx", 10, true}},
      {}};
  size_t nt = 0;
  for (const auto& r : rows) {
    if (!r.link) {
      ++nt;
      const json* id = at(*r.transport, "transport_id");
      bool open = id && id->is_number_unsigned() && ui.expanded.count(id->get<uint64_t>());
      t.rows.push_back({std::string(open ? "v " : "> ") + str(r.transport, "type") + " " +
                            str(r.transport, "local_addr"),
                        str(r.transport, "state"), "",
                        bytes(at(at(r.transport, "stats"), "bytes_sent")),
                        bytes(at(at(r.transport, "stats"), "bytes_recv"))});
    } else {
      std::string addr = str(r.link, "remote_addr");
      auto it = peer_by_addr.find(addr);
      t.rows.push_back({"   " + dir_short(str(r.link, "direction")) + " " + addr,
                        str(r.link, "state"), it == peer_by_addr.end() ? "-" : it->second,
                        bytes(at(at(r.link, "stats"), "bytes_sent")),
                        bytes(at(at(r.link, "stats"), "bytes_recv"))});
    }
  }
  o.add(" Transports (" + std::to_string(nt) +
            ")  links: " + std::to_string(arr(data(rs, "show_links"), "links").size()),
        Style::kTitle);
  if (rows.empty()) return o.add("  No transports", Style::kDim);
  table_out(o, t, sel, width, h - 2, Style::kHeader);
}

// ------------------------------------------------------------ Sessions tab

void sessions_tab(Out& o, const Replies& rs, const UiState& ui, int width, int h) {
  const json& ss = arr(data(rs, "show_sessions"), "sessions");
  int sel = clamp_sel(ui.selected[static_cast<int>(Tab::kSessions)], static_cast<int>(ss.size()));
  if (ui.detail && sel >= 0) {
    const json& s = ss[static_cast<size_t>(sel)];
    o.section("Session Detail (Esc closes)");
    o.kv("Name", str(&s, "display_name"));
    o.kv("Npub", str(&s, "npub"));
    o.kv("Remote Addr", str(&s, "remote_addr"));
    o.kv("State", str(&s, "state"));
    const json* ini = at(s, "is_initiator");
    o.kv("Role", ini && ini->is_boolean() ? (ini->get<bool>() ? "Initiator" : "Responder") : "-");
    o.kv("Pkts Tx/Rx", str(&s, "stats", "packets_sent") + " / " + str(&s, "stats", "packets_recv"));
    o.kv("Bytes Tx/Rx",
         bytes(at(at(s, "stats"), "bytes_sent")) + " / " + bytes(at(at(s, "stats"), "bytes_recv")));
    const json* m = at(s, "mmp");
    o.kv("MMP", "mode " + str(m, "mode") + ", srtt " + fnum(at(m, "srtt_ms"), 1, "ms") + ", loss " +
                    fnum(at(m, "loss_rate"), 3) + ", sqi " + fnum(at(m, "sqi"), 2) + ", path mtu " +
                    str(m, "path_mtu"));
    return;
  }
  Table t{{{"Name", 20},
           {"Npub", 20},
           {"State", 12},
           {"Role", 4},
           {"SRTT", 9, true},
           {"Loss", 6, true},
           {"SQI", 5, true},
           {"MTU", 5, true},
           {"Remote Addr", 32}},
          {}};
  for (const auto& s : ss) {
    const json* m = at(s, "mmp");
    const json* ini = at(s, "is_initiator");
    t.rows.push_back({str(&s, "display_name"), short_npub(str(&s, "npub")), str(&s, "state"),
                      ini && ini->is_boolean() ? (ini->get<bool>() ? "init" : "resp") : "-",
                      fnum(at(m, "srtt_ms"), 1, "ms"), fnum(at(m, "loss_rate"), 3),
                      fnum(at(m, "sqi"), 2), str(m, "path_mtu"), str(&s, "remote_addr")});
  }
  o.add(" Sessions (" + std::to_string(ss.size()) + ")", Style::kTitle);
  if (ss.empty()) return o.add("  No sessions", Style::kDim);
  table_out(o, t, sel, width, h - 2, Style::kHeader);
}

// ------------------------------------------------------------- pane tabs

struct Pane {
  std::string title;
  std::vector<std::string> lines;
};

// Stacked panes sharing the height; the focused one's title is highlighted.
void panes_out(Out& o, const std::vector<Pane>& panes, const UiState& ui, int h);

std::string kvs(const std::string& k, const std::string& v, int w = 20) {
  return " " + fit(k + ":", w) + " " + v;
}

std::vector<Pane> tree_panes(const json* d) {
  Pane node{"Tree State", {}}, peers{"Peers", {}}, stats{"Stats", {}};
  std::string root = str(d, "root");
  node.lines = {kvs("Root", root + (flag(d, "is_root") ? "  (this node)" : "")),
                kvs("Root Npub", str(d, "root_npub")),
                kvs("Depth", str(d, "depth")),
                kvs("Parent", str(d, "parent_display_name") + " " + head(str(d, "parent"), 16)),
                kvs("Declaration", "seq " + str(d, "declaration_sequence") + ", " +
                                       (flag(d, "declaration_signed") ? "signed" : "unsigned")),
                kvs("Peers in tree", str(d, "peer_tree_count"))};
  // my_coords runs self -> root; shown root first, as the reference.
  const json& mine = arr(d, "my_coords");
  std::string path;
  for (auto it = mine.rbegin(); it != mine.rend(); ++it)
    if (it + 1 != mine.rend()) append(path, " > ", head(str(&*it), 8));
  node.lines.push_back(kvs("Path", path.empty() ? "[root]" : path + " > [self]"));
  // A peer is our parent when it is the parent we declared; our child when
  // its coordinates name us as its parent.
  const std::string me = str(d, "my_node_addr"), parent = str(d, "parent");
  auto role = [&](const json& p) {
    if (!flag(d, "is_root") && str(&p, "node_addr") == parent) return 0;
    const json& pc = arr(&p, "coords");
    if (pc.size() >= 2 && str(&pc[1]) == me) return 1;
    return 2;
  };
  std::vector<const json*> ps;
  for (const auto& p : arr(d, "peers")) ps.push_back(&p);
  std::stable_sort(ps.begin(), ps.end(),
                   [&](const json* a, const json* b) { return role(*a) < role(*b); });
  for (const json* p : ps) {
    std::string coords_p;
    const json& pc = arr(p, "coords");
    for (auto it = pc.rbegin(); it != pc.rend(); ++it) append(coords_p, ">", head(str(&*it), 6));
    const char* rname = role(*p) == 0 ? "parent" : role(*p) == 1 ? "child " : "other ";
    peers.lines.push_back(" " + std::string(rname) + " " + fit(str(p, "display_name"), 18) +
                          " depth " + fit(str(p, "depth"), 3) + " dist " +
                          fit(str(p, "distance_to_us"), 3) + " " + coords_p);
  }
  if (peers.lines.empty()) peers.lines.push_back("  No peers");
  peers.title = "Peers (" + std::to_string(ps.size()) + ")";
  const json* st = at(d, "stats");
  for (const auto& [k, label] :
       std::vector<std::pair<const char*, const char*>>{{"received", "Received"},
                                                        {"accepted", "Accepted"},
                                                        {"decode_error", "Decode Error"},
                                                        {"unknown_peer", "Unknown Peer"},
                                                        {"addr_mismatch", "Addr Mismatch"},
                                                        {"sig_failed", "Sig Failed"},
                                                        {"stale", "Stale"},
                                                        {"loop_detected", "Loop Detected"},
                                                        {"ancestry_changed", "Ancestry Changed"},
                                                        {"sent", "Sent"},
                                                        {"rate_limited", "Rate Limited"},
                                                        {"send_failed", "Send Failed"},
                                                        {"parent_switches", "Parent Switches"},
                                                        {"parent_losses", "Parent Losses"},
                                                        {"flap_dampened", "Flap Dampened"}})
    stats.lines.push_back(kvs(label, str(st, k)));
  return {node, peers, stats};
}

std::vector<Pane> filter_panes(const json* d) {
  Pane node{"Filter State", {}}, peers{"Peer Filters", {}}, stats{"Stats", {}};
  node.lines = {kvs("Node Addr", str(d, "own_node_addr")),
                kvs("Leaf Only", str(d, "is_leaf_only")),
                kvs("Sequence", str(d, "sequence")),
                kvs("Leaf Deps", str(d, "leaf_dependent_count")),
                kvs("Fill (sent uptree)",
                    at(d, "uptree_fill_ratio")
                        ? num(dbl(at(d, "uptree_fill_ratio")).value_or(0) * 100, 2) + "%"
                        : "-"),
                kvs("Subtree est", fnum(at(d, "uptree_estimated_count"), 1))};
  const json& pf = arr(d, "peer_filters");
  for (const auto& p : pf) {
    auto fill = dbl(at(p, "fill_ratio"));
    peers.lines.push_back(
        " " + fit(str(&p, "display_name"), 18) + " seq " + fit(str(&p, "filter_sequence"), 5) +
        " fill " + fit(fill ? num(*fill * 100, 2) + "%" : "-", 7) + " est " +
        fnum(at(p, "estimated_count"), 1) + (flag(&p, "has_filter") ? "" : "  (no filter)"));
  }
  if (pf.empty()) peers.lines.push_back("  No peer filters");
  peers.title = "Peer Filters (" + std::to_string(pf.size()) + ")";
  const json* st = at(d, "stats");
  for (const auto& [k, label] : std::vector<std::pair<const char*, const char*>>{
           {"received", "Received"},
           {"accepted", "Accepted"},
           {"decode_error", "Decode Error"},
           {"invalid", "Invalid"},
           {"non_v1", "Non-v1"},
           {"unknown_peer", "Unknown Peer"},
           {"stale", "Stale"},
           {"fill_exceeded", "Fill Exceeded"},
           {"sent", "Sent"},
           {"debounce_suppressed", "Debounce Suppressed"},
           {"send_failed", "Send Failed"}})
    stats.lines.push_back(kvs(label, str(st, k)));
  return {node, peers, stats};
}

std::vector<Pane> routing_panes(const json* d, const json* cache) {
  Pane tables{"Tables", {}}, traffic{"Traffic", {}}, lookups{"Lookups", {}};
  tables.lines = {
      kvs("Coord Cache", str(d, "coord_cache_entries") +
                             (cache ? "  (max " + str(cache, "max_entries") + ")" : "")),
      kvs("Identity Cache", str(d, "identity_cache_entries")),
      kvs("Pending Lookups", std::to_string(arr(d, "pending_lookups").size())),
      kvs("Recent Requests", str(d, "recent_requests")),
      kvs("Pending TUN", str(d, "pending_tun_packets") + " pkts to " +
                             str(d, "pending_tun_destinations") + " dests")};
  for (const auto& p : arr(d, "pending_lookups"))
    tables.lines.push_back("   lookup " + fit(str(&p, "display_name"), 18) + " attempt " +
                           str(&p, "attempt") + ", age " + str(&p, "age_ms") + " ms");
  for (const auto& r : arr(d, "retries"))
    tables.lines.push_back("   retry  " + fit(str(&r, "display_name"), 18) + " count " +
                           str(&r, "retry_count"));
  const json* f = at(d, "forwarding");
  auto pk = [&](const char* what) {
    std::string p = std::string(what) + "_packets", b = std::string(what) + "_bytes";
    return str(f, p.c_str()) + " pkts (" + bytes(at(f, b.c_str())) + ")";
  };
  traffic.lines = {kvs("Originated", pk("originated")),
                   kvs("Delivered", pk("delivered")),
                   kvs("Forwarded", pk("forwarded")),
                   kvs("Received", pk("received")),
                   kvs("Drop no route", pk("drop_no_route")),
                   kvs("Drop MTU", pk("drop_mtu_exceeded")),
                   kvs("Drop send error", pk("drop_send_error")),
                   kvs("TTL exhausted", pk("ttl_exhausted")),
                   kvs("Decode error", pk("decode_error"))};
  const json* l = at(d, "lookup") ? at(d, "lookup") : at(d, "discovery");
  for (const auto& [k, label] :
       std::vector<std::pair<const char*, const char*>>{{"req_received", "Req Received"},
                                                        {"req_forwarded", "Req Forwarded"},
                                                        {"req_initiated", "Req Initiated"},
                                                        {"req_deduplicated", "Req Deduplicated"},
                                                        {"req_target_is_us", "Req Target Is Us"},
                                                        {"req_bloom_miss", "Req Bloom Miss"},
                                                        {"req_ttl_exhausted", "Req TTL Exhausted"},
                                                        {"resp_received", "Resp Received"},
                                                        {"resp_accepted", "Resp Accepted"},
                                                        {"resp_forwarded", "Resp Forwarded"},
                                                        {"resp_timed_out", "Resp Timed Out"},
                                                        {"resp_proof_failed", "Resp Proof Failed"}})
    lookups.lines.push_back(kvs(label, str(l, k)));
  return {tables, traffic, lookups};
}

// Performance: show_mmp's peers[].link_layer and sessions[].session_layer.
std::vector<Pane> mmp_panes(const json* d, const UiState& ui) {
  struct Metric {
    const char* label;
    const char* key;
    const char* fallback;
    int prec;
    const char* suffix;
    const char* trend = nullptr;  // "rising" / "falling" -> '^' / 'v' after the value
  };
  auto build = [&](const char* list, const char* layer, const std::vector<Metric>& ms,
                   SortState sort, const char* title) {
    Pane p{title, {}};
    std::vector<const json*> items;
    for (const auto& e : arr(d, list)) items.push_back(&e);
    p.title += " (" + std::to_string(items.size()) + ")";
    auto value = [&](const json* e, int col) -> double {
      const Metric& m = ms[static_cast<size_t>(col - 1)];
      const json* l = at(e, layer);
      auto v = dbl(at(l, m.key));
      if (!v && m.fallback) v = dbl(at(l, m.fallback));
      return v.value_or(HUGE_VAL);
    };
    std::stable_sort(items.begin(), items.end(), [&](const json* a, const json* b) {
      bool lt = sort.col == 0 ? str(a, "display_name") < str(b, "display_name")
                              : value(a, sort.col) < value(b, sort.col);
      bool gt = sort.col == 0 ? str(b, "display_name") < str(a, "display_name")
                              : value(b, sort.col) < value(a, sort.col);
      return sort.descending ? gt : lt;
    });
    std::string hdr = "  sort:";
    std::vector<std::string> labels{"name"};
    for (const auto& m : ms) labels.emplace_back(m.label);
    for (size_t i = 0; i < labels.size(); ++i)
      hdr +=
          " " + labels[i] + (static_cast<int>(i) == sort.col ? (sort.descending ? "v" : "^") : "");
    p.lines.push_back(hdr);
    for (const json* e : items) {
      const json* l = at(e, layer);
      std::string line = "  " + fit(str(e, "display_name"), 16);
      for (const auto& m : ms) {
        const json* v = at(l, m.key);
        if (!v && m.fallback) v = at(l, m.fallback);
        std::string cell = std::string(m.key) == "goodput_bps" ? throughput(v)
                           : std::string(m.key) == "path_mtu"  ? str(v)
                                                               : fnum(v, m.prec, m.suffix);
        if (m.trend) {
          const std::string tr = str(l, m.trend);
          cell += tr == "rising" ? "^" : tr == "falling" ? "v" : "";
        }
        line.append(" ").append(m.label).append(" ").append(fit(cell, 10));
      }
      p.lines.push_back(line);
    }
    if (items.empty()) p.lines.push_back(std::string("  No ") + list);
    return p;
  };
  return {build("peers", "link_layer",
                {{"srtt", "srtt_ms", nullptr, 1, "ms", "rtt_trend"},
                 {"loss", "smoothed_loss", "loss_rate", 4, "", "loss_trend"},
                 {"etx", "smoothed_etx", "etx", 2, ""},
                 {"lqi", "lqi", nullptr, 2, ""},
                 {"gp", "goodput_bps", nullptr, 0, "", "goodput_trend"}},
                ui.mmp_link, "Link MMP"),
          build("sessions", "session_layer",
                {{"srtt", "srtt_ms", nullptr, 1, "ms"},
                 {"loss", "smoothed_loss", "loss_rate", 4, ""},
                 {"etx", "smoothed_etx", "etx", 2, ""},
                 {"sqi", "sqi", nullptr, 2, ""},
                 {"mtu", "path_mtu", nullptr, 0, ""}},
                ui.mmp_session, "Session MMP")};
}

// The stacked panes of a pane tab (Tree, Filters, Routing, Performance).
std::vector<Pane> panes_for(const Replies& rs, const UiState& ui) {
  switch (ui.tab) {
    case Tab::kTree:
      return tree_panes(data(rs, "show_tree"));
    case Tab::kFilters:
      return filter_panes(data(rs, "show_bloom"));
    case Tab::kRouting:
      return routing_panes(data(rs, "show_routing"), data(rs, "show_cache"));
    case Tab::kPerformance:
      return mmp_panes(data(rs, "show_mmp"), ui);
    default:
      return {};
  }
}

// Body heights of the stacked panes in `h` lines (one title line each).
std::vector<int> pane_bodies(int n, int h) {
  std::vector<int> v;
  int left = h;
  for (int i = 0; i < n; ++i) {
    int ph = i + 1 == n ? left : h / n;
    left -= ph;
    v.push_back(std::max(0, ph - 1));
  }
  return v;
}

void panes_out(Out& o, const std::vector<Pane>& panes, const UiState& ui, int h) {
  const int n = static_cast<int>(panes.size());
  const size_t t = static_cast<size_t>(ui.tab);
  const auto bodies = pane_bodies(n, h);
  for (int i = 0; i < n; ++i) {
    const Pane& p = panes[static_cast<size_t>(i)];
    const int body = bodies[static_cast<size_t>(i)];
    const int total = static_cast<int>(p.lines.size());
    const int scroll =
        std::clamp(ui.scroll[t][static_cast<size_t>(i)], 0, std::max(0, total - body));
    std::string more = total > body ? "  [" + std::to_string(scroll + 1) + "-" +
                                          std::to_string(std::min(total, scroll + body)) + "/" +
                                          std::to_string(total) + "]"
                                    : "";
    const bool focused = ui.focus[t] % n == i;
    o.add((focused ? "> " : "  ") + p.title + more, focused ? Style::kTitle : Style::kHeader);
    for (int k = 0; k < body; ++k)
      o.add(scroll + k < total ? p.lines[static_cast<size_t>(scroll + k)] : "");
  }
}

// ------------------------------------------------------------------ Graphs

// The reference's Graphs layout (render_graphs.h draws it): the selector
// strip, then the stacked plots (Node, PeerByMetric) or the by-peer list /
// one peer's plot (MetricByPeer).
void graphs_tab(Out& o, const Replies& rs, const UiState& ui, int width, int h) {
  const auto& [window, gran] =
      kWindows[((ui.graphs_window % kWindowCount) + kWindowCount) % kWindowCount];
  const json& speers = arr(data(rs, "show_stats_peers"), "peers");
  std::string detail;
  if (ui.graphs_mode == GraphsMode::kMetricByPeer)
    detail = kPeerMetrics[ui.graphs_metric % kPeerMetricCount];
  else if (ui.graphs_mode == GraphsMode::kPeerByMetric)
    detail = speers.empty() ? std::string("(no peers)")
                            : str(&speers[static_cast<size_t>(ui.graphs_peer_idx) % speers.size()],
                                  "display_name");
  for (auto& l : graphs::selector(ui, detail, window, gran, ui.ascii)) o.lines.push_back(std::move(l));
  if (ui.graphs_mode == GraphsMode::kPeerByMetric && speers.empty()) {
    const Reply* sp = reply(rs, "show_stats_peers");
    if (sp && !sp->ok)
      return o.wrap(" not available from this daemon: " + sp->error, Style::kAlert);
    return o.add("  No peers with history", Style::kDim);
  }
  std::string req;
  std::string key = graphs_key(ui, rs, &req);
  const Reply* r = reply(rs, key);
  if (!r) return o.add("  Waiting for data...", Style::kDim);
  if (!r->ok)
    return o.wrap(std::string(r->daemon_error ? " not available from this daemon: "
                                              : " daemon unreachable: ") +
                      r->error,
                  Style::kAlert);
  const int avail = std::max(0, h - static_cast<int>(o.lines.size()));
  std::vector<ScreenLine> all;
  int first = 0;
  if (ui.graphs_mode == GraphsMode::kMetricByPeer) {
    std::vector<graphs::PeerRow> rows;
    for (const auto& p : arr(&r->data, "peers"))
      rows.push_back({str(&p, "display_name"), graphs::values_of(at(p, "values"))});
    if (rows.empty()) return o.add("  No peers tracked yet in stats history.", Style::kDim);
    const std::vector<size_t> order = graphs::sorted_order(rows, ui.graphs_peer);
    const size_t shown = static_cast<size_t>(ui.graphs_peer_idx) % rows.size();  // display row
    const std::string metric = str(&r->data, "metric"), unit = str(&r->data, "unit");
    if (ui.detail) {
      all = graphs::peer_detail(rows[order[shown]], metric, unit, width, avail, ui.ascii);
    } else {
      all = graphs::peer_list(rows, order, order[shown], unit, ui.graphs_peer, ui.ascii);
      // Keep the selection (row shown + 1, after the sort header) in view.
      first = std::max(0, static_cast<int>(shown) + 2 - avail);
    }
  } else {
    for (const auto& s : arr(&r->data, "series"))
      for (auto& l : graphs::metric_block(str(&s, "metric"), str(&s, "unit"),
                                          graphs::values_of(at(s, "values")), width, ui.ascii))
        all.push_back(std::move(l));
    if (all.empty()) return o.add("  No series", Style::kDim);
    first = std::clamp(ui.graphs_scroll, 0, std::max(0, static_cast<int>(all.size()) - avail));
  }
  for (int i = first; i < static_cast<int>(all.size()) && static_cast<int>(o.lines.size()) < h; ++i)
    o.lines.push_back(all[static_cast<size_t>(i)]);
}

// ----------------------------------------------------------------- Gateway

// show_gateway + show_mappings from the fips-gateway control socket.
void gateway_tab(Out& o, const Replies& rs, const UiState& ui, int width, int h) {
  const Reply* g = reply(rs, "gateway:show_gateway");
  if (!g) return o.add("  Waiting for data...", Style::kDim);
  if (!g->ok) {
    o.wrap("  fips-gateway not reachable at " + ui.gateway_socket_path + ": " + g->error,
           Style::kDim);
    return;
  }
  const json* d = &g->data;
  const json& ms = arr(data(rs, "gateway:show_mappings"), "mappings");
  int sel = clamp_sel(ui.selected[static_cast<int>(Tab::kGateway)], static_cast<int>(ms.size()));
  if (ui.detail && sel >= 0) {
    const json& m = ms[static_cast<size_t>(sel)];
    o.section("Mapping Detail (Esc closes)");
    if (m.is_object())
      for (auto it = m.begin(); it != m.end(); ++it) o.kv(it.key(), str(&it.value()), 16);
    return;
  }
  o.add(" Pool " + str(d, "pool_cidr") + "  total " + str(d, "pool_total") + "  allocated " +
            str(d, "pool_allocated") + "  active " + str(d, "pool_active") + "  draining " +
            str(d, "pool_draining") + "  free " + str(d, "pool_free"),
        Style::kTitle);
  o.add(" NAT mappings " + str(d, "nat_mappings") + "  lan " + str(d, "lan_interface") + "  dns " +
        str(d, "dns_listen") + " -> " + str(d, "dns_upstream") + "  uptime " +
        uptime(at(d, "uptime_secs")));
  Table t{{{"Virtual IP", 40},
           {"DNS Name", 40},
           {"Mesh Addr", 26},
           {"State", 10},
           {"Sess", 5, true},
           {"Age", 8, true},
           {"Last Ref", 8, true}},
          {}};
  for (const auto& m : ms)
    t.rows.push_back({str(&m, "virtual_ip"), str(&m, "dns_name"), head(str(&m, "mesh_addr"), 24),
                      str(&m, "state"), str(&m, "sessions"), str(&m, "age_secs"),
                      str(&m, "last_ref_secs")});
  o.add(" Mappings (" + std::to_string(ms.size()) + ")", Style::kHeader);
  if (ms.empty()) return o.add("  No mappings", Style::kDim);
  table_out(o, t, sel, width, h - 4, Style::kHeader);
}

// ------------------------------------------------------------ help, modal

struct Binding {
  const char* keys;
  const char* what;
};
std::vector<Binding> bindings(Tab tab) {
  std::vector<Binding> b;
  switch (tab) {
    case Tab::kPeers:
      b = {{"Up/Down", "select a peer"},
           {"Enter", "peer detail"},
           {"Esc", "close detail / deselect"},
           {"Del", "disconnect the selected peer (asks y/n)"}};
      break;
    case Tab::kSessions:
      b = {{"Up/Down", "select a session"},
           {"Enter", "session detail"},
           {"Esc", "close / deselect"}};
      break;
    case Tab::kTransports:
      b = {{"Up/Down", "select a row"},        {"Enter", "detail"},
           {"Right/Space", "expand links"},    {"Left", "collapse"},
           {"e / c", "expand / collapse all"}, {"Esc", "close / deselect"}};
      break;
    case Tab::kTree:
    case Tab::kFilters:
    case Tab::kRouting:
      b = {{"f", "focus the next pane"},
           {"Up/Down", "scroll one row"},
           {"PgUp/PgDn", "scroll ten rows"},
           {"Home/End", "top / bottom"}};
      break;
    case Tab::kPerformance:
      b = {{"f", "focus Link / Session pane"},
           {"Up/Down PgUp/PgDn", "scroll"},
           {"Home/End", "top / bottom"},
           {"s", "next sort column"},
           {"S", "sort direction"}};
      break;
    case Tab::kGraphs:
      b = {{"Up/Down", "scroll plots (MetricByPeer: select a peer)"},
           {"Enter", "MetricByPeer: the selected peer's plot alone"},
           {"Right/Space Left", "time window"},
           {"m", "view mode"},
           {"n / N", "next / previous metric or peer"},
           {"s / S", "sort column / direction"}};
      break;
    case Tab::kGateway:
      b = {{"Up/Down", "select a mapping"},
           {"Enter", "mapping detail"},
           {"Esc", "close / deselect"}};
      break;
    case Tab::kNode:
      break;
  }
  return b;
}

void help_out(Out& o, const UiState& ui) {
  o.section(std::string("Help: ") + tab_label(ui.tab) + "  (? or Esc closes)");
  std::vector<Binding> global = {{"q, Ctrl-C", "quit"},
                                 {"Tab / Shift-Tab", "next / previous tab"},
                                 {"g", "Graphs tab"},
                                 {"?", "toggle this help"},
                                 {"Esc", "close detail, else deselect"}};
  o.add(" Global", Style::kHeader);
  for (const auto& b : global) o.add("   " + fit(b.keys, 20) + b.what);
  auto tb = bindings(ui.tab);
  if (!tb.empty()) o.add(std::string(" ") + tab_label(ui.tab), Style::kHeader);
  for (const auto& b : tb) o.add("   " + fit(b.keys, 20) + b.what);
}

std::string footer_hints(const UiState& ui) {
  if (ui.confirm) return "y disconnect  n cancel";
  if (ui.help) return "? close help  q quit";
  std::string h = "q quit  Tab next  ? help";
  switch (ui.tab) {
    case Tab::kPeers:
      return h + "  Enter detail  Del disconnect";
    case Tab::kSessions:
      return h + "  Enter detail";
    case Tab::kTransports:
      return h + "  Enter detail  Space expand";
    case Tab::kTree:
    case Tab::kFilters:
    case Tab::kRouting:
      return h + "  f pane  Up/Down scroll";
    case Tab::kPerformance:
      return h + "  f pane  s sort";
    case Tab::kGraphs:
      return h + "  m mode  Right window  n next";
    case Tab::kGateway:
      return h + "  Enter detail";
    default:
      return h;
  }
}

}  // namespace

// ================================================================ public API

const char* tab_label(Tab tab) {
  static const char* kLabels[] = {"Node",    "Peers",       "Transports", "Sessions", "Tree",
                                  "Filters", "Performance", "Routing",    "Graphs",   "Gateway"};
  return kLabels[static_cast<int>(tab) % kTabCount];
}

int display_width(const std::string& s) {
  int n = 0;
  for (char ch : s)
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  return n;
}

std::string fit(const std::string& in, int width) {
  if (width <= 0) return "";
  std::string s = in;  // control characters (a multi-line error) would break the line
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  int w = display_width(s);
  if (w <= width) return s + std::string(static_cast<size_t>(width - w), ' ');
  // Cut at a code-point boundary, leaving room for the '~' marker.
  std::string out;
  int n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) {
      if (n == width - 1) break;
      ++n;
    }
    out += s[i];
  }
  return out + "~";
}

std::string short_npub(const std::string& npub) {
  if (npub.size() <= 18) return npub;
  return npub.substr(0, 12) + "..." + npub.substr(npub.size() - 4);
}

int selectable_rows(const Replies& rs, const UiState& ui) {
  switch (ui.tab) {
    case Tab::kPeers:
      return static_cast<int>(arr(data(rs, "show_peers"), "peers").size());
    case Tab::kSessions:
      return static_cast<int>(arr(data(rs, "show_sessions"), "sessions").size());
    case Tab::kTransports:
      return static_cast<int>(transport_rows(rs, ui).size());
    case Tab::kGateway:
      return static_cast<int>(arr(data(rs, "gateway:show_mappings"), "mappings").size());
    default:
      return 0;
  }
}

std::vector<Query> queries_for(const UiState& ui, const Replies& rs) {
  std::vector<Query> q{{"show_status", request("show_status")}};
  auto add = [&](const char* c) { q.push_back({c, request(c)}); };
  switch (ui.tab) {
    case Tab::kNode:
      add("show_listening_sockets");
      break;
    case Tab::kPeers:
      add("show_peers");
      break;
    case Tab::kTransports:
      add("show_transports");
      add("show_links");
      add("show_peers");
      break;
    case Tab::kSessions:
      add("show_sessions");
      break;
    case Tab::kTree:
      add("show_tree");
      break;
    case Tab::kFilters:
      add("show_bloom");
      break;
    case Tab::kPerformance:
      add("show_mmp");
      break;
    case Tab::kRouting:
      add("show_routing");
      add("show_cache");
      break;
    case Tab::kGateway:
      q.push_back({"gateway:show_gateway", request("show_gateway"), true});
      q.push_back({"gateway:show_mappings", request("show_mappings"), true});
      break;
    case Tab::kGraphs: {
      add("show_stats_peers");
      std::string req;
      std::string key = graphs_key(ui, rs, &req);
      if (!key.empty()) q.push_back({key, req});
      break;
    }
  }
  return q;
}

KeyResult handle_key(UiState& ui, int key, const Replies& rs) {
  KeyResult r;
  const int t = static_cast<int>(ui.tab);
  if (key == 'q' || key == kKeyCtrlC) {
    r.quit = true;
    return r;
  }
  if (ui.confirm) {  // modal: y confirms, n / Esc cancels, nothing else acts
    if (key == 'y' || key == 'Y') {
      r.disconnect = ui.confirm->first;
      r.refetch = true;
      ui.confirm.reset();
    } else if (key == 'n' || key == 'N' || key == kKeyEsc) {
      ui.confirm.reset();
    }
    return r;
  }
  if (ui.help) {
    if (key == '?' || key == kKeyEsc) ui.help = false;
    return r;
  }
  auto switch_tab = [&](Tab to) {
    ui.tab = to;
    ui.detail = false;
    r.refetch = true;
  };
  int& sel = ui.selected[static_cast<size_t>(t)];
  const int rows = selectable_rows(rs, ui);
  const bool pane_tab = ui.tab == Tab::kTree || ui.tab == Tab::kFilters ||
                        ui.tab == Tab::kRouting || ui.tab == Tab::kPerformance;
  const int panes = ui.tab == Tab::kPerformance ? 2 : 3;
  int& scroll = ui.scroll[static_cast<size_t>(t)]
                         [static_cast<size_t>(ui.focus[static_cast<size_t>(t)] % panes)];
  switch (key) {
    case kKeyTab:
      switch_tab(static_cast<Tab>((t + 1) % kTabCount));
      return r;
    case kKeyBackTab:
      switch_tab(static_cast<Tab>((t + kTabCount - 1) % kTabCount));
      return r;
    case 'g':
      switch_tab(Tab::kGraphs);
      return r;
    case '?':
      ui.help = true;
      return r;
    case kKeyEsc:
      if (ui.detail)
        ui.detail = false;
      else
        sel = -1;
      return r;
    default:
      break;
  }
  if (ui.tab == Tab::kPeers || ui.tab == Tab::kSessions || ui.tab == Tab::kTransports ||
      ui.tab == Tab::kGateway) {
    if (ui.detail) return r;  // the detail view only closes (Esc) or changes tab
    if (key == kKeyDown && rows > 0)
      sel = std::min(sel + 1, rows - 1);
    else if (key == kKeyUp && rows > 0)
      sel = std::max(sel - 1, 0);
    else if (key == kKeyEnter && sel >= 0 && sel < rows)
      ui.detail = true;
    else if (key == kKeyDelete && ui.tab == Tab::kPeers && sel >= 0 && sel < rows) {
      const json* p = peers_in_order(rs)[static_cast<size_t>(sel)];
      if (at(*p, "npub")) ui.confirm = std::make_pair(str(p, "npub"), str(p, "display_name"));
    } else if (ui.tab == Tab::kTransports) {
      auto trs = transport_rows(rs, ui);
      auto id_of = [](const json* tj) -> std::optional<uint64_t> {
        const json* id = at(tj, "transport_id");
        if (id && id->is_number_unsigned()) return id->get<uint64_t>();
        return std::nullopt;
      };
      if ((key == kKeyRight || key == ' ') && sel >= 0 && sel < rows) {
        if (auto id = id_of(trs[static_cast<size_t>(sel)].transport)) ui.expanded.insert(*id);
      } else if (key == kKeyLeft && sel >= 0 && sel < rows) {
        if (auto id = id_of(trs[static_cast<size_t>(sel)].transport)) {
          ui.expanded.erase(*id);
          auto after = transport_rows(rs, ui);  // land on the transport row itself
          for (size_t i = 0; i < after.size(); ++i)
            if (!after[i].link && id_of(after[i].transport) == id) sel = static_cast<int>(i);
        }
      } else if (key == 'e') {
        for (const auto& tr : trs)
          if (auto id = id_of(tr.transport)) ui.expanded.insert(*id);
      } else if (key == 'c') {
        ui.expanded.clear();
        sel = -1;
      }
    }
    return r;
  }
  if (pane_tab) {
    if (key == 'f')
      ui.focus[static_cast<size_t>(t)] = (ui.focus[static_cast<size_t>(t)] + 1) % panes;
    else if (key == kKeyDown)
      ++scroll;
    else if (key == kKeyUp)
      scroll = std::max(0, scroll - 1);
    else if (key == kKeyPageDown)
      scroll += 10;
    else if (key == kKeyPageUp)
      scroll = std::max(0, scroll - 10);
    else if (key == kKeyHome)
      scroll = 0;
    else if (key == kKeyEnd)
      scroll = 1 << 20;  // clamped when drawn
    else if (ui.tab == Tab::kPerformance && (key == 's' || key == 'S')) {
      SortState& s = ui.focus[static_cast<size_t>(t)] % 2 == 1 ? ui.mmp_session : ui.mmp_link;
      if (key == 's')
        s = {(s.col + 1) % 6, false};
      else
        s.descending = !s.descending;
    }
    // Scroll offsets beyond the content are clamped when drawn; keep them bounded here.
    scroll = std::min(scroll, 1 << 20);
    return r;
  }
  if (ui.tab == Tab::kGraphs) {
    const int npeers = static_cast<int>(arr(data(rs, "show_stats_peers"), "peers").size());
    std::string req;
    const std::string hk = graphs_key(ui, rs, &req);
    const int hist_peers = static_cast<int>(arr(data(rs, hk), "peers").size());
    if (ui.graphs_mode == GraphsMode::kMetricByPeer && (key == kKeyDown || key == kKeyUp)) {
      // Move the by-peer selection (the open detail follows it).
      if (hist_peers > 0)
        ui.graphs_peer_idx =
            (ui.graphs_peer_idx % hist_peers + (key == kKeyDown ? 1 : hist_peers - 1)) % hist_peers;
    } else if (ui.graphs_mode == GraphsMode::kMetricByPeer && key == kKeyEnter) {
      if (hist_peers > 0) ui.detail = true;
    } else if (key == kKeyDown)
      ui.graphs_scroll = std::min(ui.graphs_scroll + 1, 1 << 20);
    else if (key == kKeyUp)
      ui.graphs_scroll = std::max(0, ui.graphs_scroll - 1);
    else if (key == kKeyRight || key == ' ')
      ui.graphs_window = (ui.graphs_window + 1) % kWindowCount, r.refetch = true;
    else if (key == kKeyLeft)
      ui.graphs_window = (ui.graphs_window + kWindowCount - 1) % kWindowCount, r.refetch = true;
    else if (key == 'm') {
      ui.graphs_mode = static_cast<GraphsMode>((static_cast<int>(ui.graphs_mode) + 1) % 3);
      ui.graphs_scroll = 0;
      ui.detail = false;
      r.refetch = true;
    } else if (key == 'n' || key == 'N') {
      int d = key == 'n' ? 1 : -1;
      if (ui.graphs_mode == GraphsMode::kMetricByPeer)
        ui.graphs_metric = (ui.graphs_metric + d + kPeerMetricCount) % kPeerMetricCount;
      else if (ui.graphs_mode == GraphsMode::kPeerByMetric && npeers > 0)
        ui.graphs_peer_idx = (ui.graphs_peer_idx + d + npeers) % npeers;
      r.refetch = true;
    } else if (key == 's')
      ui.graphs_peer = {(ui.graphs_peer.col + 1) % 5, false};
    else if (key == 'S')
      ui.graphs_peer.descending = !ui.graphs_peer.descending;
  }
  return r;
}

void settle(UiState& ui, const Replies& rs, int /*width*/, int height) {
  const size_t t = static_cast<size_t>(ui.tab);
  const int rows = selectable_rows(rs, ui);
  if (rows == 0) {
    ui.selected[t] = -1;
    ui.detail = false;
  } else {
    ui.selected[t] = std::min(ui.selected[t], rows - 1);
  }
  if (ui.confirm && ui.tab != Tab::kPeers) ui.confirm.reset();
  if (ui.tab == Tab::kGraphs && ui.graphs_mode != GraphsMode::kMetricByPeer) {
    // The stack scrolls no further than its last block (Up then moves at once).
    std::string req;
    const int stack =
        static_cast<int>(arr(data(rs, graphs_key(ui, rs, &req)), "series").size()) * (graphs::kPlotRows + 2);
    const int view = std::max(0, height - 3 - 3);  // content minus the selector strip
    ui.graphs_scroll = std::clamp(ui.graphs_scroll, 0, std::max(0, stack - view));
  }
  auto panes = panes_for(rs, ui);
  if (panes.empty()) return;
  const auto bodies = pane_bodies(static_cast<int>(panes.size()), std::max(0, height - 3));
  for (size_t i = 0; i < panes.size(); ++i)
    ui.scroll[t][i] = std::clamp(ui.scroll[t][i], 0,
                                 std::max(0, static_cast<int>(panes[i].lines.size()) - bodies[i]));
}

std::vector<ScreenLine> render(const Replies& rs, const UiState& ui, int width, int height) {
  std::vector<ScreenLine> screen;
  if (width <= 0 || height <= 0) return screen;
  const json* status = data(rs, "show_status");
  // Line 0: title. Line 1: tabs. Last line: status bar. The rest: content.
  std::string title = std::string(" fipstop ") + FIPS_VERSION_STRING;
  if (status) {
    std::string npub = str(status, "npub");
    if (width < 100) npub = short_npub(npub);
    title += "  " + npub + "  " + str(status, "state");
  }
  screen.push_back({title, Style::kTitle});
  // Tabs: the active one in brackets; one space apart (all ten fit 80 columns).
  std::string tabs;
  for (int i = 0; i < kTabCount; ++i) {
    const bool active = i == static_cast<int>(ui.tab);
    if (i > 0) tabs += ' ';
    tabs += active ? std::string("[") + tab_label(static_cast<Tab>(i)) + "]"
                   : tab_label(static_cast<Tab>(i));
  }
  screen.push_back({tabs, Style::kHeader});

  const int content_h = std::max(0, height - 3);
  Out o;
  o.width = width;
  if (ui.help) {
    help_out(o, ui);
  } else {
    // The tab's own command (the first after show_status) decides whether
    // there is anything to draw.
    auto qs = queries_for(ui, rs);
    const std::string main_key = ui.tab == Tab::kNode || qs.size() < 2 ? qs[0].key : qs[1].key;
    const Reply* main_reply = reply(rs, main_key);
    if (ui.tab == Tab::kGraphs) main_reply = reply(rs, "show_stats_peers");
    if (ui.tab == Tab::kGateway)
      main_reply = reply(rs, "show_status");  // its own socket: gateway_tab says
    if (!main_reply && ui.tab != Tab::kGraphs) {
      o.wrap(ui.connected || ui.conn_error.empty() ? "  Waiting for data..."
                                                   : "  daemon unreachable: " + ui.conn_error,
             ui.connected ? Style::kDim : Style::kAlert);
    } else if (main_reply && !main_reply->ok && main_reply->daemon_error &&
               ui.tab != Tab::kGraphs) {
      o.wrap("  not available from this daemon: " + main_reply->error, Style::kAlert);
    } else if (main_reply && !main_reply->ok && !main_reply->daemon_error) {
      o.wrap("  daemon unreachable: " + main_reply->error, Style::kAlert);
      o.add("  retrying every " + num(ui.refresh_secs, 1) + " s", Style::kDim);
    } else {
      const json* d = data(rs, main_key);
      switch (ui.tab) {
        case Tab::kNode:
          node_tab(o, d);
          place_listening_panel(o.lines, reply(rs, "show_listening_sockets"), width);
          break;
        case Tab::kPeers:
          peers_tab(o, rs, ui, width, content_h);
          break;
        case Tab::kTransports:
          transports_tab(o, rs, ui, width, content_h);
          break;
        case Tab::kSessions:
          sessions_tab(o, rs, ui, width, content_h);
          break;
        case Tab::kTree:
        case Tab::kFilters:
        case Tab::kRouting:
        case Tab::kPerformance:
          panes_out(o, panes_for(rs, ui), ui, content_h);
          break;
        case Tab::kGraphs:
          graphs_tab(o, rs, ui, width, content_h);
          break;
        case Tab::kGateway:
          gateway_tab(o, rs, ui, width, content_h);
          break;
      }
    }
  }
  o.lines.resize(static_cast<size_t>(content_h));
  if (ui.confirm && content_h >= 5) {
    // The confirmation box over the middle of the content.
    const std::string who = ui.confirm->second + " (" + short_npub(ui.confirm->first) + ")";
    std::vector<std::string> box = {"Disconnect peer", "Disconnect " + who + "?",
                                    "y = disconnect, n / Esc = cancel"};
    int bw = 0;
    for (auto& b : box) bw = std::max(bw, display_width(b));
    bw = std::min(bw + 4, width);
    int top = content_h / 2 - 2;
    o.lines[static_cast<size_t>(top)] = {
        "+" + std::string(static_cast<size_t>(std::max(0, bw - 2)), '-') + "+", Style::kAlert};
    for (size_t i = 0; i < box.size(); ++i)
      o.lines[static_cast<size_t>(top) + 1 + i] = {"| " + fit(box[i], bw - 4) + " |",
                                                   Style::kAlert};
    o.lines[static_cast<size_t>(top) + 4] = o.lines[static_cast<size_t>(top)];
  }
  for (auto& l : o.lines) screen.push_back(std::move(l));

  std::string bar;
  Style bar_style;
  if (ui.connected) {
    char ago[32];
    std::snprintf(ago, sizeof ago, "%.1f", ui.updated_ago);
    bar = " Connected | Refresh: " + num(ui.refresh_secs, ui.refresh_secs < 10 ? 1 : 0) +
          "s | Updated: " + ago + "s ago | ";
    bar_style = Style::kGood;
  } else {
    bar = " Disconnected: daemon unreachable (" + ui.conn_error + "), retrying | ";
    bar_style = Style::kAlert;
  }
  if (!ui.message.empty()) bar += ui.message + " | ";
  bar += footer_hints(ui);
  screen.resize(static_cast<size_t>(height - 1));
  screen.push_back({bar, bar_style});
  if (height < 3) screen.erase(screen.begin(), screen.end() - height);
  for (auto& l : screen) l.text = fit(l.text, width);
  return screen;
}

}  // namespace fipstop
