// show_mmp and show_peers' mmp block (control/queries.h): the empty reply
// against the reference's snapshot (src/control/snapshots/show_mmp.json,
// copied to tests/vectors/control/reference-snapshots/), the scenario
// fixture (tests/vectors/control/show_mmp.*, exact wire and fipsctl bytes),
// the key sets of a cold and a measured peer row as the reference's
// control/queries.rs show_mmp builds them, and the values a LinkMmp fills in.

#include <gtest/gtest.h>

#include "control/json_out.h"
#include "control/queries.h"
#include "control_test_util.h"
#include "proto/mmp/link_mmp.h"

namespace fips {
namespace {

std::vector<std::string> keys_of(const nlohmann::json& j) {
  std::vector<std::string> k;
  for (auto it = j.begin(); it != j.end(); ++it) k.push_back(it.key());
  return k;
}

TEST(ControlMmp, EmptyMatchesReferenceSnapshot) {
  auto ref = nlohmann::json::parse(test::control_fixture("reference-snapshots/show_mmp.json"));
  EXPECT_EQ(json_pretty(show_mmp_data({}, {})), json_pretty(ref["data"]));
}

TEST(ControlMmp, ColdPeerRowHasTheReferenceKeys) {
  PeerSnapshot p;
  p.node_addr = "00112233445566778899aabbccddeeff";
  p.display_name = "peer-a";
  p.mmp = MmpSnapshot{};
  p.mmp->spin_bit_role = "initiator";
  const nlohmann::json j = show_mmp_data({p}, {});
  ASSERT_EQ(j["peers"].size(), 1u);
  const nlohmann::json& row = j["peers"][0];
  EXPECT_EQ(keys_of(row), (std::vector<std::string>{"display_name", "link_layer", "mode", "peer"}));
  EXPECT_EQ(row["peer"], p.node_addr);
  EXPECT_EQ(row["mode"], "full");
  EXPECT_EQ(json_compact(row["link_layer"]),
            R"({"delivery_ratio_forward":1.0,"delivery_ratio_reverse":1.0,"ecn_ce_count":0,)"
            R"("etx":1.0,"goodput_bps":0.0,"loss_rate":0.0,"spin_bit_role":"initiator"})");
  // A peer without an mmp block is not listed.
  PeerSnapshot none;
  EXPECT_EQ(show_mmp_data({none}, {})["peers"].size(), 0u);
}

TEST(ControlMmp, MeasuredPeerFromLinkMmp) {
  // Two ReceiverReports: RTT 40 ms, then 10 % loss over 100 counters.
  mmp::LinkMmp m(mmp::Mode::kLightweight, false, 32, 30'000);
  mmp::ReceiverReport rr;
  rr.highest_counter = 100;
  rr.cumulative_packets_recv = 100;
  rr.cumulative_bytes_recv = 10'000;
  rr.timestamp_echo = 1000;
  rr.jitter = 50;
  m.on_receiver_report(rr, 1040, 0);
  rr.highest_counter = 200;
  rr.cumulative_packets_recv = 190;
  rr.cumulative_bytes_recv = 19'000;
  rr.timestamp_echo = 2000;
  m.on_receiver_report(rr, 2040, 1000);

  PeerSnapshot p;
  p.node_addr = "ff";
  MmpSnapshot s;
  s.mode = mmp::mode_name(m.mode());
  s.delivery_ratio_forward = m.metrics.delivery_forward;
  s.etx = m.metrics.etx;
  s.goodput_bps = m.metrics.goodput_bps;
  s.srtt_ms = m.metrics.srtt_ms();
  s.smoothed_etx = m.metrics.smoothed_etx();
  s.smoothed_loss = m.metrics.smoothed_loss();
  s.rtt_trend = mmp::trend_label(m.metrics.rtt_trend);
  s.loss_trend = mmp::trend_label(m.metrics.loss_trend);
  s.goodput_trend = mmp::trend_label(m.metrics.goodput_trend);
  s.jitter_trend = mmp::trend_label(m.metrics.jitter_trend);
  p.mmp = s;
  const nlohmann::json l = show_mmp_data({p}, {})["peers"][0]["link_layer"];
  EXPECT_EQ(keys_of(l),
            (std::vector<std::string>{"delivery_ratio_forward", "delivery_ratio_reverse",
                                      "ecn_ce_count", "etx", "goodput_bps", "goodput_trend",
                                      "jitter_trend", "loss_rate", "loss_trend", "lqi",
                                      "rtt_trend", "smoothed_etx", "smoothed_loss",
                                      "spin_bit_role", "srtt_ms"}));
  EXPECT_DOUBLE_EQ(l["srtt_ms"].get<double>(), 40.0);
  EXPECT_DOUBLE_EQ(l["delivery_ratio_forward"].get<double>(), 0.9);
  EXPECT_NEAR(l["loss_rate"].get<double>(), 0.1, 1e-12);
  EXPECT_DOUBLE_EQ(l["etx"].get<double>(), 1.0 / 0.9);
  EXPECT_DOUBLE_EQ(l["goodput_bps"].get<double>(), 9'000.0);
  EXPECT_DOUBLE_EQ(l["lqi"].get<double>(), (1.0 / 0.9) * 1.4);
  EXPECT_EQ(l["spin_bit_role"], "responder");
  EXPECT_EQ(show_mmp_data({p}, {})["peers"][0]["mode"], "lightweight");
  // show_peers' inline block: the reference's keys, same numbers.
  const nlohmann::json b = link_mmp_json(s);
  EXPECT_EQ(keys_of(b), (std::vector<std::string>{"delivery_ratio_forward", "delivery_ratio_reverse",
                                                  "etx", "goodput_bps", "loss_rate", "lqi", "mode",
                                                  "smoothed_etx", "smoothed_loss", "srtt_ms"}));
  EXPECT_EQ(b["lqi"], l["lqi"]);
}


// The scenario of tests/vectors/control/README.md: peers B (outbound, spin
// initiator) and C (inbound), session D; gen_fixtures.py renders show_mmp
// from the reference's queries.rs logic independently of this code.
TEST(ControlMmp, MatchesTheFixture) {
  PeerSnapshot b, c;
  b.node_addr = "353f7b543b42fc70980ee332e3fde5c9";
  b.display_name = "node-b";
  b.mmp = test::mmp_snapshot(23.417, 1.0, 0.998, 1.002004008016032, 18342.5, 0.0013, 1.0031);
  b.mmp->spin_bit_role = "initiator";
  b.mmp->rtt_trend = "stable";
  b.mmp->loss_trend = "falling";
  b.mmp->goodput_trend = "rising";
  b.mmp->jitter_trend = "stable";
  c.node_addr = "70ab8c8f23cee388165c97737be4c5f8";
  c.display_name = "npub1a3k5...fuaa";
  c.mmp = test::mmp_snapshot(41.25, 0.98, 0.99, 1.0306122448979591, 5120.0, 0.0197, 1.027);
  c.mmp->spin_bit_role = "responder";
  c.mmp->rtt_trend = "rising";
  c.mmp->loss_trend = "stable";
  c.mmp->goodput_trend = "stable";
  c.mmp->jitter_trend = "falling";
  c.mmp->ecn_ce_count = 3;
  MmpSessionRow d;
  d.remote = "be996fa1fd2c6c97720ad4ba4d256c28";
  d.display_name = "npub1w92s...c575";
  d.mmp = test::mmp_snapshot(64.9, 1.0, 1.0, 1.0, 2210.75, 0.0, 1.0);
  d.mmp.rtt_trend = d.mmp.loss_trend = d.mmp.etx_trend = "stable";
  d.path_mtu = 1203;
  const nlohmann::json data = show_mmp_data({b, c}, {d});
  EXPECT_EQ(ok_response_line(data), test::control_fixture("show_mmp.wire.json"));
  EXPECT_EQ(json_pretty(data) + "\n", test::control_fixture("show_mmp.fipsctl.txt"));
}

TEST(ControlMmp, SessionRowsCarryPathMtu) {
  MmpSessionRow r;
  r.remote = "aa";
  r.display_name = "c";
  r.path_mtu = 1203;
  const nlohmann::json j = show_mmp_data({}, {r});
  EXPECT_EQ(json_compact(j["sessions"][0]),
            R"({"display_name":"c","mode":"full","remote":"aa",)"
            R"("session_layer":{"etx":1.0,"loss_rate":0.0,"path_mtu":1203}})");
}

}  // namespace
}  // namespace fips
