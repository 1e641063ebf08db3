// fipstop's pure render/key core (apps/fipstop/render.h) against the
// reference's snapshot replies (tests/vectors/fipstop/, empty node) and the
// populated control fixtures (tests/vectors/control/*.wire.json): every tab
// draws at 80x24 and 200x50 within the screen, shows the npubs, counts and
// states of the replies, says "-" for absent fields, "not available from this
// daemon" for refused commands, and never crashes on malformed replies.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "render.h"
#include "render_graphs.h"

namespace fipstop {
namespace {

using nlohmann::json;

json load(const std::string& rel) {
  std::ifstream f(std::string(FIPS_VECTORS_DIR) + "/" + rel);
  EXPECT_TRUE(f.good()) << rel;
  std::stringstream ss;
  ss << f.rdbuf();
  return json::parse(ss.str());
}

Reply ok(const json& envelope) {
  Reply r;
  r.ok = true;
  r.data = envelope.at("data");
  return r;
}

// The reference snapshots: a fresh node, no peers.
Replies reference_replies() {
  Replies rs;
  for (const char* c :
       {"show_status", "show_peers", "show_sessions", "show_transports", "show_links", "show_tree",
        "show_bloom", "show_routing", "show_cache", "show_mmp", "show_stats_peers"})
    rs[c] = ok(load(std::string("fipstop/") + c + ".json"));
  return rs;
}

// Our populated fixtures: node A with parent B (node-b), child C, sessions.
Replies fixture_replies() {
  Replies rs;
  for (const char* c : {"show_status", "show_peers", "show_sessions", "show_transports",
                        "show_links", "show_tree", "show_bloom", "show_routing", "show_cache"})
    rs[c] = ok(load(std::string("control/") + c + ".wire.json"));
  return rs;
}

std::string text(const std::vector<ScreenLine>& lines) {
  std::string s;
  for (const auto& l : lines) s += l.text + "\n";
  return s;
}

void expect_fits(const std::vector<ScreenLine>& lines, int w, int h) {
  ASSERT_EQ(static_cast<int>(lines.size()), h);
  for (const auto& l : lines) {
    EXPECT_LE(display_width(l.text), w) << l.text;
    for (char c : l.text) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << l.text;
  }
}

UiState on(Tab t) {
  UiState ui;
  ui.tab = t;
  ui.connected = true;
  return ui;
}

// The graphs history reply is stored under its request line.
std::string graphs_key(const UiState& ui, const Replies& rs) {
  auto q = queries_for(ui, rs);
  return q.back().key;
}

TEST(FipstopRender, EveryTabDrawsTheReferenceSnapshotsWithinTheScreen) {
  Replies rs = reference_replies();
  UiState probe = on(Tab::kGraphs);
  rs[graphs_key(probe, rs)] = ok(load("fipstop/show_stats_all_history.json"));
  for (int t = 0; t < kTabCount; ++t)
    for (auto [w, h] : {std::pair{80, 24}, std::pair{200, 50}, std::pair{20, 5}, std::pair{1, 1}}) {
      UiState ui = on(static_cast<Tab>(t));
      auto lines = render(rs, ui, w, h);
      expect_fits(lines, w, h);
    }
  std::string node = text(render(rs, on(Tab::kNode), 200, 50));
  EXPECT_NE(node.find("npub1sx42mj99aql52aklsg70y2jmr95u7uz2p40k769aw46ppjv302kqkhmu5r"),
            std::string::npos);
  EXPECT_NE(node.find("I am the one who roots"), std::string::npos);
  EXPECT_NE(node.find("mesh: -"), std::string::npos);  // estimated_mesh_size: null
  EXPECT_NE(text(render(rs, on(Tab::kPeers), 80, 24)).find("No peers"), std::string::npos);
  EXPECT_NE(text(render(rs, on(Tab::kPerformance), 80, 24)).find("Link MMP (0)"),
            std::string::npos);
  std::string tree = text(render(rs, on(Tab::kTree), 200, 50));
  EXPECT_NE(tree.find("1b4788b7ab7a436a611fc59fb1e34c6e  (this node)"), std::string::npos);
  EXPECT_NE(tree.find("[root]"), std::string::npos);
  // All-null history: each series is titled as the reference's summary of
  // gaps (min/max 0, no last, 10 samples) over an empty plot.
  std::string graphs = text(render(rs, on(Tab::kGraphs), 200, 50));
  EXPECT_NE(graphs.find("  mesh_size  [nodes]    min 0.00   max 0.00   last -   samples 10"),
            std::string::npos)
      << graphs;
}

TEST(FipstopRender, NodeTabListeningPanelAndSparklines) {
  Replies rs = fixture_replies();
  rs["show_status"].data["sparklines"] = {{"mesh_size", {1, 2, 3, nullptr, 6}},
                                          {"peer_count", json::array()}};
  rs["show_listening_sockets"] = ok(json::parse(R"({"data":{"firewall_active":false,"sockets":[
      {"proto":"tcp","port":22,"pid":41,"process":"sshd","wildcard_bind":true,"filter":"no_firewall"},
      {"proto":"udp","port":53,"filter":"drop"}]},"status":"ok"})"));
  UiState ui = on(Tab::kNode);
  EXPECT_EQ(queries_for(ui, rs)[1].request, "{\"command\":\"show_listening_sockets\"}\n");
  auto lines = render(rs, ui, 120, 40);
  expect_fits(lines, 120, 40);
  std::string s = text(lines);
  EXPECT_NE(s.find("mesh_size [.:= #]"), std::string::npos) << s;
  EXPECT_EQ(s.find("peer_count ["), std::string::npos);  // empty: not drawn
  EXPECT_NE(s.find("fips-firewall.service inactive"), std::string::npos);
  EXPECT_NE(s.find("sshd(41) *"), std::string::npos);
  EXPECT_NE(s.find("OPEN"), std::string::npos);
  EXPECT_NE(s.find("filt"), std::string::npos);
  // A daemon without the query says so in one line; the Node tab still draws.
  Reply refused;
  refused.daemon_error = true;
  refused.error = "unknown command: show_listening_sockets";
  rs["show_listening_sockets"] = refused;
  s = text(render(rs, ui, 120, 40));
  EXPECT_NE(s.find("not available from this daemon:"), std::string::npos) << s;
  EXPECT_NE(s.find("unknown command:"), std::string::npos) << s;
  EXPECT_NE(s.find("peers: 2"), std::string::npos);
}

// Where the reference puts the panel: right of the Traffic block, or below
// it when the screen is too narrow for both.
TEST(FipstopRender, ListeningPanelSitsBesideTrafficAndCapsItsRows) {
  Replies rs = fixture_replies();
  json socks = json::array();
  for (int i = 0; i < 12; ++i)
    socks.push_back({{"proto", "tcp"}, {"port", 8000 + i}, {"pid", 100 + i},
                     {"process", "svc"}, {"wildcard_bind", i == 0},
                     {"filter", i == 0 ? "accept" : i == 1 ? "unknown" : "drop"}});
  Reply r;
  r.ok = true;
  r.data = {{"fips0_addr", "fd00::1"}, {"firewall_active", true}, {"sockets", socks}};
  rs["show_listening_sockets"] = r;
  UiState ui = on(Tab::kNode);
  auto wide = render(rs, ui, 140, 50);
  expect_fits(wide, 140, 50);
  auto row_with = [](const std::vector<ScreenLine>& ls, const std::string& needle) -> const ScreenLine* {
    for (const auto& l : ls)
      if (l.text.find(needle) != std::string::npos) return &l;
    return nullptr;
  };
  const ScreenLine* title = row_with(wide, "-- Listening on fips0 --");
  ASSERT_TRUE(title);
  EXPECT_EQ(title->text.find("-- Traffic --"), 0u) << title->text;
  const ScreenLine* first = row_with(wide, "svc(100) *");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->text.find(" forwarded:"), 0u) << first->text;  // the column titles beside originated
  EXPECT_NE(first->text.find("OPEN"), std::string::npos);
  const ScreenLine* second = row_with(wide, "svc(101)");
  ASSERT_TRUE(second);
  EXPECT_NE(second->text.find("filt?"), std::string::npos) << second->text;
  EXPECT_NE(text(wide).find("+4 more: fipsctl show listening-sockets"), std::string::npos);
  EXPECT_EQ(text(wide).find("svc(108)"), std::string::npos);
  // Past the Traffic block a filtered row keeps its dim style.
  const ScreenLine* late = row_with(wide, "svc(106)");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->style, Style::kDim);
  EXPECT_EQ(late->text.find("svc(106)"), first->text.find("svc(100)")) << late->text;

  // 80 columns: below the Traffic block, full width.
  auto narrow = render(rs, ui, 80, 60);
  expect_fits(narrow, 80, 60);
  title = row_with(narrow, "Listening on fips0");
  ASSERT_TRUE(title);
  EXPECT_EQ(title->text.find("-- Listening on fips0 --"), 0u) << title->text;
  EXPECT_EQ(title->text.find("Traffic"), std::string::npos);

  // Table not loaded: the alert line, in the alert style even beside Traffic.
  rs["show_listening_sockets"].data["firewall_active"] = false;
  auto alerted = render(rs, ui, 140, 50);  // kept alive: row_with points into it
  const ScreenLine* alert = row_with(alerted, "fips-firewall.service inactive");
  ASSERT_TRUE(alert);
  EXPECT_EQ(alert->style, Style::kAlert);
  EXPECT_NE(alert->text.find("all listeners exposed"), std::string::npos) << alert->text;

  // Not fetched yet; then garbage where the sockets should be.
  rs.erase("show_listening_sockets");
  EXPECT_NE(text(render(rs, ui, 140, 50)).find("loading..."), std::string::npos);
  r.data = {{"firewall_active", "yes"}, {"sockets", {{{"pid", "x"}, {"port", -1}}, 7, nullptr}}};
  rs["show_listening_sockets"] = r;
  std::string g = text(render(rs, ui, 140, 50));
  EXPECT_NE(g.find("Listening on fips0"), std::string::npos);
  EXPECT_EQ(g.find("inactive"), std::string::npos);
}

TEST(FipstopRender, PeersTabShowsRolesNpubsAndFitsTheWidth) {
  Replies rs = fixture_replies();
  UiState ui = on(Tab::kPeers);
  auto narrow = render(rs, ui, 80, 24);
  expect_fits(narrow, 80, 24);
  std::string s = text(narrow);
  EXPECT_NE(s.find("Peers (2)"), std::string::npos);
  // The parent comes first.
  size_t b = s.find("node-b"), c = s.find("npub1a3k5...fuaa");
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(c, std::string::npos);
  EXPECT_LT(b, c);
  EXPECT_NE(s.find("npub194hlyn0...kcj9"), std::string::npos);
  EXPECT_NE(s.find("parent"), std::string::npos);
  EXPECT_NE(s.find("child"), std::string::npos);
  EXPECT_EQ(s.find("Pkts Rx"), std::string::npos);  // dropped at 80 columns
  for (const auto& l : narrow) {                    // rows styled by tree role
    if (l.text.find("node-b") != std::string::npos) {
      EXPECT_EQ(l.style, Style::kParent);
    }
    if (l.text.find("npub1a3k5...fuaa") != std::string::npos) {
      EXPECT_EQ(l.style, Style::kChild);
    }
  }
  std::string wide = text(render(rs, ui, 200, 50));
  EXPECT_NE(wide.find("Pkts Rx"), std::string::npos);
  EXPECT_NE(wide.find("23.4ms"), std::string::npos);  // node-b's srtt
  EXPECT_NE(wide.find("51977"), std::string::npos);   // node-b's packets_recv
}

TEST(FipstopRender, SelectionDetailAndDisconnectConfirmation) {
  Replies rs = fixture_replies();
  UiState ui = on(Tab::kPeers);
  EXPECT_EQ(selectable_rows(rs, ui), 2);
  handle_key(ui, kKeyDown, rs);
  handle_key(ui, kKeyDown, rs);
  handle_key(ui, kKeyDown, rs);  // stops at the last row
  EXPECT_EQ(ui.selected[static_cast<int>(Tab::kPeers)], 1);
  auto lines = render(rs, ui, 80, 24);
  int selected = 0;
  for (const auto& l : lines)
    if (l.style == Style::kSelected) {
      ++selected;
      EXPECT_NE(l.text.find("npub1a3k5...fuaa"), std::string::npos);
    }
  EXPECT_EQ(selected, 1);
  handle_key(ui, kKeyEnter, rs);
  std::string detail = text(render(rs, ui, 100, 30));
  EXPECT_NE(detail.find("Peer Detail"), std::string::npos);
  const std::string c_npub = rs["show_peers"].data["peers"][1]["npub"];
  EXPECT_NE(detail.find(c_npub), std::string::npos);
  handle_key(ui, kKeyEsc, rs);
  EXPECT_FALSE(ui.detail);
  // Del asks; n cancels; Del + y disconnects exactly that peer.
  EXPECT_FALSE(handle_key(ui, kKeyDelete, rs).disconnect);
  ASSERT_TRUE(ui.confirm);
  EXPECT_NE(text(render(rs, ui, 80, 24)).find("Disconnect peer"), std::string::npos);
  EXPECT_FALSE(handle_key(ui, kKeyTab, rs).refetch);  // modal: Tab does nothing
  EXPECT_EQ(ui.tab, Tab::kPeers);
  handle_key(ui, 'n', rs);
  EXPECT_FALSE(ui.confirm);
  handle_key(ui, kKeyDelete, rs);
  auto r = handle_key(ui, 'y', rs);
  ASSERT_TRUE(r.disconnect);
  EXPECT_EQ(*r.disconnect, c_npub);
  EXPECT_FALSE(ui.confirm);
  // Esc deselects; Del without a selection asks nothing.
  handle_key(ui, kKeyEsc, rs);
  EXPECT_EQ(ui.selected[static_cast<int>(Tab::kPeers)], -1);
  handle_key(ui, kKeyDelete, rs);
  EXPECT_FALSE(ui.confirm);
}

TEST(FipstopRender, TransportsExpandToTheirLinks) {
  Replies rs = fixture_replies();
  UiState ui = on(Tab::kTransports);
  EXPECT_EQ(selectable_rows(rs, ui), 2);
  std::string s = text(render(rs, ui, 80, 24));
  EXPECT_NE(s.find("Transports (2)  links: 2"), std::string::npos);
  EXPECT_NE(s.find("> udp 0.0.0.0:2121"), std::string::npos);
  handle_key(ui, kKeyDown, rs);
  handle_key(ui, kKeyRight, rs);
  EXPECT_EQ(selectable_rows(rs, ui), 3);
  s = text(render(rs, ui, 80, 24));
  EXPECT_NE(s.find("v udp 0.0.0.0:2121"), std::string::npos);
  EXPECT_NE(s.find("out 198.51.100.7:2121"), std::string::npos);
  EXPECT_NE(s.find("node-b"), std::string::npos);  // the link's peer, by address
  handle_key(ui, 'e', rs);
  EXPECT_EQ(selectable_rows(rs, ui), 4);
  handle_key(ui, kKeyDown, rs);  // onto udp's link
  handle_key(ui, kKeyLeft, rs);  // collapses udp, lands on its row
  EXPECT_EQ(ui.selected[static_cast<int>(Tab::kTransports)], 0);
  handle_key(ui, 'c', rs);
  EXPECT_EQ(selectable_rows(rs, ui), 2);
}

TEST(FipstopRender, SessionsTreeFiltersRouting) {
  Replies rs = fixture_replies();
  std::string s = text(render(rs, on(Tab::kSessions), 200, 50));
  EXPECT_NE(s.find("Sessions (2)"), std::string::npos);
  EXPECT_NE(s.find("established"), std::string::npos);
  EXPECT_NE(s.find("initiating"), std::string::npos);
  EXPECT_NE(s.find("64.9ms"), std::string::npos);
  std::string t = text(render(rs, on(Tab::kTree), 200, 50));
  EXPECT_NE(t.find("parent node-b"), std::string::npos);
  EXPECT_NE(t.find("Peers (2)"), std::string::npos);
  std::string f = text(render(rs, on(Tab::kFilters), 200, 50));
  EXPECT_NE(f.find("Peer Filters (2)"), std::string::npos);
  EXPECT_NE(f.find("Debounce Suppressed: 21"), std::string::npos);
  std::string r = text(render(rs, on(Tab::kRouting), 200, 50));
  EXPECT_NE(r.find("lookup npub1j6hf...mx7x"), std::string::npos);
  EXPECT_NE(r.find("retry  node-e"), std::string::npos);
  EXPECT_NE(r.find("Req Forwarded:       22"), std::string::npos);
}

TEST(FipstopRender, PaneFocusAndScrollAreClamped) {
  Replies rs = fixture_replies();
  UiState ui = on(Tab::kTree);
  handle_key(ui, 'f', rs);
  handle_key(ui, 'f', rs);  // the Stats pane
  handle_key(ui, kKeyEnd, rs);
  auto lines = render(rs, ui, 80, 24);
  expect_fits(lines, 80, 24);
  std::string s = text(lines);
  EXPECT_NE(s.find("> Stats  ["), std::string::npos);
  EXPECT_NE(s.find("/15]"), std::string::npos);
  EXPECT_NE(s.find("Flap Dampened"), std::string::npos);  // the last stat is visible
  // settle() pulls End's offset back to the last page, so Up moves at once.
  settle(ui, rs, 80, 24);
  const int bottom = ui.scroll[static_cast<int>(Tab::kTree)][2];
  EXPECT_GT(bottom, 0);
  EXPECT_LT(bottom, 15);
  handle_key(ui, kKeyUp, rs);
  EXPECT_EQ(ui.scroll[static_cast<int>(Tab::kTree)][2], bottom - 1);
  handle_key(ui, kKeyHome, rs);
  EXPECT_NE(text(render(rs, ui, 80, 24)).find("[1-"), std::string::npos);
  // A selection past the rows (peers went away) is pulled back.
  UiState p = on(Tab::kPeers);
  p.selected[static_cast<int>(Tab::kPeers)] = 7;
  settle(p, rs, 80, 24);
  EXPECT_EQ(p.selected[static_cast<int>(Tab::kPeers)], 1);
}

TEST(FipstopRender, RefusedAndUnreachableAreSaid) {
  Replies rs = fixture_replies();
  Reply refused;
  refused.daemon_error = true;
  refused.error = "unknown command: show_mmp";
  rs["show_mmp"] = refused;
  std::string s = text(render(rs, on(Tab::kPerformance), 80, 24));
  EXPECT_NE(s.find("\n  not available from this daemon: unknown command: show_mmp"),
            std::string::npos);
  // The graphs tab: show_stats_peers refused, history refused.
  rs["show_stats_peers"] = refused;
  UiState g = on(Tab::kGraphs);
  Reply hist = refused;
  hist.error = "unknown command: show_stats_all_history";
  rs[graphs_key(g, rs)] = hist;
  EXPECT_NE(text(render(rs, g, 80, 24))
                .find("not available from this daemon: unknown command: show_stats_all_history"),
            std::string::npos);
  // Socket failure before any data: "daemon unreachable" and the status bar.
  Replies none;
  UiState ui = on(Tab::kPeers);
  ui.connected = false;
  ui.conn_error =
      "cannot connect to /x: No such file or directory (os error 2)\nIs the FIPS daemon running?";
  Reply down;
  down.error = ui.conn_error;
  none["show_peers"] = down;
  auto lines = render(none, ui, 80, 24);
  expect_fits(lines, 80, 24);  // the newline in the error is not drawn
  EXPECT_NE(text(lines).find("daemon unreachable: cannot connect"), std::string::npos);
  // The whole error is on the screen, wrapped, the second sentence included.
  EXPECT_NE(text(lines).find("Is the FIPS daemon running?"), std::string::npos);
  EXPECT_NE(lines.back().text.find("Disconnected: daemon unreachable"), std::string::npos);
  EXPECT_EQ(lines.back().style, Style::kAlert);
}

TEST(FipstopRender, PerformanceShowsTheScenarioMmpFixture) {
  Replies rs = fixture_replies();
  rs["show_mmp"] = ok(load("control/show_mmp.wire.json"));
  auto lines = render(rs, on(Tab::kPerformance), 120, 30);
  expect_fits(lines, 120, 30);
  std::string s = text(lines);
  EXPECT_NE(s.find("Link MMP (2)"), std::string::npos) << s;
  EXPECT_NE(s.find("Session MMP (1)"), std::string::npos);
  EXPECT_NE(s.find("srtt 23.4ms "), std::string::npos);  // node-b, stable: no mark
  EXPECT_NE(s.find("srtt 41.2ms^"), std::string::npos);  // C, rising RTT
  EXPECT_NE(s.find("srtt 64.9ms"), std::string::npos);   // the session to D
  EXPECT_NE(s.find("mtu 1203"), std::string::npos);
}

TEST(FipstopRender, PerformanceSortsByTheChosenColumn) {
  Replies rs = fixture_replies();
  rs["show_mmp"] = ok(json::parse(R"({"data":{"peers":[
      {"display_name":"slow","link_layer":{"srtt_ms":90.0,"loss_rate":0.5,"lqi":3.0}},
      {"display_name":"fast","link_layer":{"srtt_ms":5.0,"smoothed_loss":0.01,"goodput_bps":1.5e6,"rtt_trend":"rising","goodput_trend":"falling"}},
      {"display_name":"bare"}],
      "sessions":[{"display_name":"far","session_layer":{"srtt_ms":40.0,"sqi":2.0,"path_mtu":1203}}]},
      "status":"ok"})"));
  UiState ui = on(Tab::kPerformance);
  std::string s = text(render(rs, ui, 120, 40));
  EXPECT_LT(s.find("  bare"), s.find("  fast"));  // by name
  EXPECT_LT(s.find("  fast"), s.find("  slow"));
  EXPECT_NE(s.find("1.5Mbpsv"), std::string::npos);     // falling goodput
  EXPECT_NE(s.find("srtt 5.0ms^"), std::string::npos);  // rising RTT
  EXPECT_NE(s.find("mtu 1203"), std::string::npos);
  handle_key(ui, 's', rs);  // srtt ascending; absent last
  s = text(render(rs, ui, 120, 40));
  EXPECT_NE(s.find("srtt^"), std::string::npos);
  EXPECT_LT(s.find("  fast"), s.find("  slow"));
  EXPECT_LT(s.find("  slow"), s.find("  bare"));
  handle_key(ui, 'S', rs);  // descending
  s = text(render(rs, ui, 120, 40));
  EXPECT_NE(s.find("srttv"), std::string::npos);
  EXPECT_LT(s.find("  slow"), s.find("  fast"));
  // The bare peer's cells say "-".
  size_t bare = s.find("  bare");
  EXPECT_NE(s.substr(bare, s.find('\n', bare) - bare).find("srtt -"), std::string::npos);
}

TEST(FipstopRender, GraphsDrawChartsAndRequestTheReferenceQueries) {
  Replies rs = fixture_replies();
  UiState ui = on(Tab::kGraphs);
  auto q = queries_for(ui, rs);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[1].request, "{\"command\":\"show_stats_peers\"}\n");
  EXPECT_EQ(q[2].request,
            "{\"command\":\"show_stats_all_history\",\"params\":{\"granularity\":\"1s\",\"window\":"
            "\"10m\"}}\n");
  rs[q[2].key] = ok(json::parse(R"({"data":{"series":[
      {"metric":"peer_count","unit":"peers","values":[0,1,2,null,2,3]}]},"status":"ok"})"));
  auto lines = render(rs, ui, 80, 24);
  expect_fits(lines, 80, 24);
  std::string s = text(lines);
  EXPECT_NE(s.find("  mode: node   window: 10m   granularity: 1s   scroll: 0"), std::string::npos) << s;
  EXPECT_NE(s.find(" Graphs \u2014 Node "), std::string::npos);
  // The reference's title and four rows of braille: full at the top right
  // (the newest value is the maximum), the null a blank run in the bottom row.
  size_t t = 0;
  for (; t < lines.size(); ++t)
    if (lines[t].text.rfind("  peer_count  [peers]    min 0.00   max 3.00   last 3.00   samples 6", 0) == 0)
      break;
  ASSERT_LT(t + 4, lines.size()) << s;
  auto ends_with = [](std::string l, const std::string& e) {  // ignoring the padding
    l.erase(l.find_last_not_of(' ') + 1);
    return l.size() >= e.size() && l.compare(l.size() - e.size(), e.size(), e) == 0;
  };
  EXPECT_TRUE(ends_with(lines[t + 1].text, "\u28ff")) << s;
  const std::string bottom = lines[t + 4].text;
  const size_t ink = bottom.find_first_not_of(' ');
  ASSERT_NE(ink, std::string::npos);
  const size_t gap = bottom.find(' ', ink);
  ASSERT_NE(gap, std::string::npos) << s;
  EXPECT_NE(bottom.find_first_not_of(' ', gap), std::string::npos) << s;
  // ASCII (no UTF-8 locale): the same area in " .:|#".
  UiState plain = ui;
  plain.ascii = true;
  auto al = render(rs, plain, 80, 24);
  EXPECT_TRUE(ends_with(al[t + 1].text, "#")) << text(al);
  for (const auto& l : al) EXPECT_EQ(display_width(l.text), static_cast<int>(l.text.size())) << l.text;
  // Scrolling stops at the last block: one series of 6 lines fits, so Down
  // leaves the scroll at 0 after settle().
  for (int i = 0; i < 50; ++i) handle_key(ui, kKeyDown, rs);
  settle(ui, rs, 80, 24);
  EXPECT_EQ(ui.graphs_scroll, 0);
  EXPECT_NE(text(render(rs, ui, 80, 24)).find("scroll: 0"), std::string::npos);
  // Windows and modes change the query.
  handle_key(ui, kKeyRight, rs);
  EXPECT_NE(queries_for(ui, rs)[2].request.find("\"window\":\"1h\""), std::string::npos);
  handle_key(ui, 'm', rs);
  EXPECT_NE(queries_for(ui, rs)[2].request.find("show_stats_history_all_peers"), std::string::npos);
  EXPECT_NE(queries_for(ui, rs)[2].request.find("\"metric\":\"srtt_ms\""), std::string::npos);
  // MetricByPeer: Up/Down select a peer, Enter shows its plot alone, Esc returns.
  rs[queries_for(ui, rs)[2].key] =
      ok(json::parse(R"({"data":{"metric":"srtt_ms","unit":"ms","peers":[
      {"display_name":"zed","values":[5,6]},{"display_name":"amy","values":[1,2,3]}]},"status":"ok"})"));
  handle_key(ui, kKeyDown, rs);
  auto by_peer = render(rs, ui, 80, 24);
  std::string sel_title;
  for (const auto& l : by_peer)
    if (l.style == Style::kSelected) sel_title = l.text;
  EXPECT_NE(sel_title.find("\u25b6 zed                [ms]  min     5.00  max     6.00"),
            std::string::npos)
      << text(by_peer);  // sorted: amy, zed
  EXPECT_NE(text(by_peer).find("  sort: name\u25b2 min max last n"), std::string::npos);
  handle_key(ui, kKeyEnter, rs);
  EXPECT_TRUE(ui.detail);
  std::string one = text(render(rs, ui, 80, 24));
  EXPECT_NE(one.find(" zed "), std::string::npos);
  EXPECT_EQ(one.find(" amy "), std::string::npos);
  handle_key(ui, kKeyEsc, rs);
  EXPECT_FALSE(ui.detail);
  handle_key(ui, 'n', rs);
  EXPECT_NE(queries_for(ui, rs)[2].request.find("\"metric\":\"loss_rate\""), std::string::npos);
  handle_key(ui, 'm', rs);  // PeerByMetric without peers: no history query
  EXPECT_EQ(queries_for(ui, rs).size(), 2u);
  EXPECT_NE(text(render(rs, ui, 80, 24)).find("No peers with history"), std::string::npos);
}

TEST(FipstopRender, KeysCycleTabsHelpAndQuit) {
  Replies rs;
  UiState ui;
  for (int i = 0; i < kTabCount; ++i) {
    EXPECT_TRUE(handle_key(ui, kKeyTab, rs).refetch);
  }
  EXPECT_EQ(ui.tab, Tab::kNode);
  handle_key(ui, kKeyBackTab, rs);
  EXPECT_EQ(ui.tab, Tab::kGateway);
  handle_key(ui, kKeyBackTab, rs);
  EXPECT_EQ(ui.tab, Tab::kGraphs);
  handle_key(ui, kKeyBackTab, rs);
  handle_key(ui, 'g', rs);
  EXPECT_EQ(ui.tab, Tab::kGraphs);
  handle_key(ui, '?', rs);
  EXPECT_TRUE(ui.help);
  std::string s = text(render(rs, ui, 80, 24));
  EXPECT_NE(s.find("Help: Graphs"), std::string::npos);
  EXPECT_NE(s.find("view mode"), std::string::npos);
  handle_key(ui, kKeyTab, rs);  // modal
  EXPECT_EQ(ui.tab, Tab::kGraphs);
  handle_key(ui, kKeyEsc, rs);
  EXPECT_FALSE(ui.help);
  EXPECT_TRUE(handle_key(ui, 'q', rs).quit);
  EXPECT_TRUE(handle_key(ui, kKeyCtrlC, rs).quit);
  EXPECT_EQ(queries_for(UiState{}, rs).front().request, "{\"command\":\"show_status\"}\n");
}

TEST(FipstopRender, GatewayTabFromTheGatewaySocket) {
  Replies rs = fixture_replies();
  UiState ui = on(Tab::kGateway);
  ui.gateway_socket_path = "/run/fips/gateway.sock";
  auto q = queries_for(ui, rs);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_FALSE(q[0].gateway);
  EXPECT_TRUE(q[1].gateway);
  EXPECT_EQ(q[1].request, "{\"command\":\"show_gateway\"}\n");
  EXPECT_EQ(q[2].request, "{\"command\":\"show_mappings\"}\n");
  Reply down;
  down.error = "cannot connect to /run/fips/gateway.sock: No such file or directory (os error 2)";
  rs[q[1].key] = down;
  rs[q[2].key] = down;
  std::string s = text(render(rs, ui, 80, 24));
  EXPECT_NE(s.find("fips-gateway not reachable at /run/fips/gateway.sock"), std::string::npos);
  EXPECT_NE(s.find(" Connected "), std::string::npos);  // the daemon itself is fine
  rs[q[1].key] =
      ok(json::parse(R"({"data":{"pool_cidr":"10.99.0.0/24","pool_total":254,"pool_allocated":2,
      "pool_active":1,"pool_draining":1,"pool_free":252,"nat_mappings":2},"status":"ok"})"));
  rs[q[2].key] = ok(json::parse(R"({"data":{"mappings":[
      {"virtual_ip":"10.99.0.7","dns_name":"node-b.fips","mesh_addr":"fd35:3f7b:543b:42fc:7098:ee3:32e3:fde5","state":"active","sessions":3},
      {"virtual_ip":"10.99.0.8","state":"draining"}]},"status":"ok"})"));
  s = text(render(rs, ui, 120, 30));
  EXPECT_NE(s.find("Pool 10.99.0.0/24  total 254  allocated 2"), std::string::npos);
  EXPECT_NE(s.find("Mappings (2)"), std::string::npos);
  EXPECT_NE(s.find("node-b.fips"), std::string::npos);
  EXPECT_NE(s.find("draining"), std::string::npos);
  EXPECT_EQ(selectable_rows(rs, ui), 2);
  handle_key(ui, kKeyDown, rs);
  handle_key(ui, kKeyEnter, rs);
  s = text(render(rs, ui, 120, 30));
  EXPECT_NE(s.find("Mapping Detail"), std::string::npos);
  EXPECT_NE(s.find("virtual_ip:"), std::string::npos);
  EXPECT_NE(s.find("10.99.0.7"), std::string::npos);
}

TEST(FipstopRender, AbsentFieldsShowDashes) {
  Replies rs;
  rs["show_status"] = ok(json::parse(R"({"data":{},"status":"ok"})"));
  rs["show_peers"] = ok(json::parse(R"({"data":{"peers":[{}]},"status":"ok"})"));
  std::string node = text(render(rs, on(Tab::kNode), 120, 30));
  EXPECT_NE(node.find("npub:      -"), std::string::npos);
  EXPECT_NE(node.find("peers: -  sessions: -"), std::string::npos);
  UiState ui = on(Tab::kPeers);
  std::string s = text(render(rs, ui, 200, 30));
  EXPECT_NE(s.find("Peers (1)"), std::string::npos);
  // Every cell of the one row is "-".
  for (const auto& l : render(rs, ui, 200, 30))
    if (l.text.rfind(" -", 0) == 0) {
      std::istringstream cells(l.text);
      std::string cell;
      int n = 0;
      while (cells >> cell) {
        EXPECT_EQ(cell, "-") << l.text;
        ++n;
      }
      EXPECT_EQ(n, 12);
    }
  handle_key(ui, kKeyDown, rs);
  handle_key(ui, kKeyDelete, rs);  // no npub: nothing to disconnect
  EXPECT_FALSE(ui.confirm);
}

// Every reply replaced by values of the wrong type, at random depth: each tab
// still draws a full screen (no throw, no crash).
TEST(FipstopRender, MalformedRepliesNeverCrash) {
  std::mt19937 rng(7);
  const json junk[] = {nullptr,
                       json::array(),
                       json::object(),
                       "x",
                       -1,
                       1.5e308,
                       true,
                       json::array({1, "a", nullptr}),
                       json::parse(R"({"peers":5})")};
  auto mutate = [&](auto&& self, json& j, int depth) -> void {
    if (j.is_object() || j.is_array()) {
      for (auto& v : j) {
        if (rng() % 4 == 0)
          v = junk[rng() % std::size(junk)];
        else if (depth < 6)
          self(self, v, depth + 1);
      }
    }
  };
  Replies base = fixture_replies();
  base["show_mmp"] = ok(json::parse(
      R"({"data":{"peers":[{"display_name":"p","link_layer":{"srtt_ms":1}}],"sessions":[]},"status":"ok"})"));
  base["show_stats_peers"] =
      ok(json::parse(R"({"data":{"peers":[{"npub":"npub1x","display_name":"x"}]},"status":"ok"})"));
  for (int round = 0; round < 300; ++round) {
    Replies rs = base;
    for (auto& [k, r] : rs) {
      if (rng() % 5 == 0)
        r.data = junk[rng() % std::size(junk)];
      else
        mutate(mutate, r.data, 0);
    }
    for (int t = 0; t < kTabCount; ++t) {
      UiState ui = on(static_cast<Tab>(t));
      ui.graphs_mode = static_cast<GraphsMode>(round % 3);
      for (auto q : queries_for(ui, rs))
        if (!rs.count(q.key))
          rs[q.key] = ok(json::parse(
              R"({"data":{"series":[{"values":[1,"x",null]}],"peers":[{"values":7}]}})"));
      for (int k : {kKeyDown, kKeyRight, kKeyEnter}) handle_key(ui, k, rs);
      auto lines = render(rs, ui, 80, 24);
      ASSERT_EQ(lines.size(), 24u);
      ui.detail = false;
      handle_key(ui, 'e', rs);
      handle_key(ui, kKeyDelete, rs);
      ASSERT_EQ(render(rs, ui, 200, 50).size(), 50u);
    }
  }
}

}  // namespace
}  // namespace fipstop

// render_graphs: the reference's plot rules (graphs.rs): summaries, value
// format, flat and gap series, braille corners and the ASCII cells.
namespace fipstop {
namespace {
TEST(FipstopGraphs, PlotRulesFollowTheReference) {
  using namespace graphs;
  const double gap = std::nan("");
  Summary s = summarize({gap, 2, 9, gap, 4, gap});
  EXPECT_EQ(s.min, 2);
  EXPECT_EQ(s.max, 9);
  EXPECT_EQ(s.last, 4);
  EXPECT_EQ(s.n, 6u);
  s = summarize({gap, gap});
  EXPECT_EQ(s.min, 0);
  EXPECT_TRUE(std::isnan(s.last));
  EXPECT_EQ(format_value(gap), "-");
  EXPECT_EQ(format_value(3.14159), "3.14");
  EXPECT_EQ(format_value(12.34), "12.3");
  EXPECT_EQ(format_value(1234), "1.2K");
  EXPECT_EQ(format_value(-2.5e6), "-2.5M");
  EXPECT_EQ(resample({1, 3}, 3), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(resample({7}, 2), (std::vector<double>{7, 7}));
  // A ramp fills to the top right; the bottom-left cell is empty (level 0).
  auto p = area_plot({0, 1, 2, 3, 4, 5, 6, 7}, 4, 2, 0, 7, false);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].substr(0, 2), "  ");
  EXPECT_EQ(p[0].substr(p[0].size() - 3), "\u28fe");  // 6/7 -> level 3, 7/7 -> 4
  EXPECT_EQ(p[1].substr(2, 3), "\u2880");  // 0 then 1/7: the right column's lowest dot
  // Flat zero: nothing drawn; flat non-zero: the baseline only; all gaps: blank.
  auto blank = [](const std::vector<std::string>& rows) {
    for (const auto& r : rows)
      if (r.find_first_not_of(' ') != std::string::npos) return false;
    return true;
  };
  EXPECT_TRUE(blank(area_plot({0, 0, 0}, 5, 4, 0, 0, false)));
  EXPECT_TRUE(blank(area_plot({gap, gap}, 5, 4, 0, 0, false)));
  auto flat = area_plot({7, 7, 7}, 5, 4, 7, 7, true);
  EXPECT_TRUE(blank({flat[0], flat[1], flat[2]}));
  EXPECT_EQ(flat[3], "  .....");
  auto ascii = area_plot({0, 10}, 3, 1, 0, 10, true);
  EXPECT_EQ(ascii[0], "  .|#");  // levels 0/1, 2/3, 3/4 -> the fuller of each pair
  // Blocks: title, four rows, blank; no samples is said.
  auto b = metric_block("mesh_size", "nodes", {}, 40, false);
  ASSERT_EQ(b.size(), 6u);
  EXPECT_EQ(b[1].text, "  (no samples)");
  EXPECT_EQ(metric_block("m", "u", {1, 2}, 40, false).size(), 6u);
}
}  // namespace
}  // namespace fipstop
