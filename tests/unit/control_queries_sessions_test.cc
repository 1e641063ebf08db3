// show_sessions: rows filled with the fixture scenario's values reproduce the
// fixture wire line and fipsctl output byte for byte; rows built from a live
// SessionManager carry the right optional keys.
#include <gtest/gtest.h>

#include "control/json_out.h"
#include "control/queries_sessions.h"
#include "control_test_util.h"
#include "fsp_session_harness.h"

namespace fips {
namespace {

constexpr uint64_t kNow = 1767225600000;

TEST(ControlQueriesSessions, ShowSessionsGolden) {
  SessionRow d;
  d.remote_addr = "be996fa1fd2c6c97720ad4ba4d256c28";
  d.display_name = "npub1w92s...c575";
  d.npub = "npub1w92sumyr4yup7dw9drg6srs3lglqalyhmlgwput5j23wmdjvx75slcc575";
  d.state = "established";
  d.is_initiator = true;
  d.last_activity_ms = kNow - 420;
  d.packets_sent = 20311;
  d.packets_recv = 19877;
  d.bytes_sent = 4420098;
  d.bytes_recv = 6102233;
  d.established = SessionRow::Established{kNow - 95000, false, 0, false};
  MmpSnapshot m;
  m.mode = "full";
  m.srtt_ms = 64.9;
  m.goodput_bps = 2210.75;
  m.smoothed_loss = 0.0;
  m.smoothed_etx = 1.0;
  d.mmp = m;
  d.path_mtu = 1203;

  SessionRow f;
  f.remote_addr = "ac23e8419fbda96ea1054c1f4c10f381";
  f.display_name = "npub1j6hf...mx7x";
  f.npub = "npub1j6hfckec4h29yyj4t70dqw0jc0e0hfnwnmxn6akjsartptfa7kjscwmx7x";
  f.state = "initiating";
  f.is_initiator = true;
  f.last_activity_ms = kNow - 1500;
  f.resend_count = 1;

  const nlohmann::json data = show_sessions_data({d, f});
  EXPECT_EQ(ok_response_line(data), test::control_fixture("show_sessions.wire.json"));
  EXPECT_EQ(json_pretty(data) + "\n", test::control_fixture("show_sessions.fipsctl.txt"));
  EXPECT_EQ(json_compact(show_sessions_data({})), R"({"sessions":[]})");
}

TEST(ControlQueriesSessions, RowsFromALiveSessionTable) {
  fsptest::SessionNet net;
  fsptest::SNode& a = net.add();
  fsptest::SNode& b = net.add();
  fsptest::SNode& c = net.add();
  net.app_send(a, b.peer(), fsptest::payload_of(1));
  net.run_for(200);
  net.drop = [](const fsptest::InFlight&) { return true; };
  net.app_send(a, c.peer(), fsptest::payload_of(1));
  net.run_for(2'000);  // one resend at the +2 s tick
  auto rows = session_rows(a.sm.snapshot(net.now, kNow),
                           [](const NodeAddr& x) { return "name-" + x.short_hex(); }, MmpMode::kMinimal);
  ASSERT_EQ(rows.size(), 2u);
  for (const SessionRow& r : rows) {
    const nlohmann::json j = session_json(r);
    if (r.remote_addr == b.addr().hex()) {
      EXPECT_EQ(j.at("state"), "established");
      EXPECT_EQ(j.at("npub"), b.id.npub());
      EXPECT_EQ(j.at("display_name"), "name-" + b.addr().short_hex());
      EXPECT_EQ(j.at("coords_warmup_remaining"), 4);
      EXPECT_EQ(j.at("current_k_bit"), false);
      EXPECT_FALSE(j.contains("resend_count"));
      // The entry's own session MMP mode (the harness runs full); the
      // argument names the mode of rows without MMP state.
      EXPECT_EQ(j.at("mmp").at("mode"), "full");
      EXPECT_EQ(j.at("mmp").at("path_mtu"), 1280);
      EXPECT_FALSE(j.at("mmp").contains("srtt_ms"));
      EXPECT_EQ(j.at("stats").at("packets_sent"), 1);
      EXPECT_EQ(j.at("last_activity_ms"), kNow - 2180);  // established (and last sent) 20 ms in
    } else {
      EXPECT_EQ(r.remote_addr, c.addr().hex());
      EXPECT_EQ(j.at("state"), "initiating");
      EXPECT_EQ(j.at("resend_count"), 1);
      EXPECT_FALSE(j.contains("mmp"));
      EXPECT_FALSE(j.contains("session_start_ms"));
    }
  }
}

}  // namespace
}  // namespace fips
