#include "control/queries_sessions.h"

#include "node/mmp_snapshot.h"

namespace fips {

using nlohmann::json;

const char* mmp_mode_name(MmpMode m) { return mmp::mode_name(mmp::mode_of(m)); }

json session_json(const SessionRow& s) {
  json j = json::object();
  j["remote_addr"] = s.remote_addr;
  j["display_name"] = s.display_name;
  j["state"] = s.state;
  j["is_initiator"] = s.is_initiator;
  j["last_activity_ms"] = s.last_activity_ms;
  j["npub"] = s.npub;
  j["stats"] = json{{"packets_sent", s.packets_sent},
                    {"packets_recv", s.packets_recv},
                    {"bytes_sent", s.bytes_sent},
                    {"bytes_recv", s.bytes_recv}};
  if (s.resend_count) j["resend_count"] = *s.resend_count;
  if (s.established) {
    j["session_start_ms"] = s.established->session_start_ms;
    j["current_k_bit"] = s.established->current_k_bit;
    j["coords_warmup_remaining"] = s.established->coords_warmup_remaining;
    j["is_draining"] = s.established->is_draining;
  }
  if (s.mmp) {
    const MmpSnapshot& m = *s.mmp;
    json mj = json::object();
    mj["mode"] = m.mode;
    mj["loss_rate"] = 1.0 - m.delivery_ratio_forward;
    mj["etx"] = m.etx;
    mj["goodput_bps"] = m.goodput_bps;
    mj["delivery_ratio_forward"] = m.delivery_ratio_forward;
    mj["delivery_ratio_reverse"] = m.delivery_ratio_reverse;
    mj["path_mtu"] = s.path_mtu;
    if (m.srtt_ms) mj["srtt_ms"] = *m.srtt_ms;
    if (m.smoothed_loss) mj["smoothed_loss"] = *m.smoothed_loss;
    if (m.smoothed_etx) mj["smoothed_etx"] = *m.smoothed_etx;
    if (m.srtt_ms && m.smoothed_etx) mj["sqi"] = *m.smoothed_etx * (1.0 + *m.srtt_ms / 100.0);
    j["mmp"] = std::move(mj);
  }
  return j;
}

json show_sessions_data(const std::vector<SessionRow>& sessions) {
  json arr = json::array();
  for (const SessionRow& s : sessions) arr.push_back(session_json(s));
  return json{{"sessions", std::move(arr)}};
}

std::vector<SessionRow> session_rows(const std::vector<fsp::SessionSnapshot>& snap,
                                     const std::function<std::string(const NodeAddr&)>& display_name,
                                     MmpMode mode) {
  std::vector<SessionRow> rows;
  rows.reserve(snap.size());
  for (const fsp::SessionSnapshot& s : snap) {
    SessionRow r;
    r.remote_addr = s.remote.hex();
    r.display_name = display_name ? display_name(s.remote) : s.remote.short_hex();
    r.npub = encode_npub(s.remote_key);
    r.state = fsp::session_state_name(s.state);
    r.is_initiator = s.is_initiator;
    r.last_activity_ms = s.last_activity_ms;
    r.packets_sent = s.packets_sent;
    r.packets_recv = s.packets_recv;
    r.bytes_sent = s.bytes_sent;
    r.bytes_recv = s.bytes_recv;
    if (s.state == fsp::SessionState::kEstablished) {
      r.established = SessionRow::Established{s.session_start_ms, s.current_k_bit,
                                              s.coords_warmup_remaining, s.is_draining};
      if (s.mmp) {
        r.mmp = mmp_snapshot_of(*s.mmp, s.mmp_mode, s.mmp_spin_initiator);
      } else {
        MmpSnapshot m;
        m.mode = mmp_mode_name(mode);
        r.mmp = m;
      }
      r.path_mtu = s.path_mtu;
    } else {
      r.resend_count = s.resend_count;
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace fips
