// The `data` object of show_sessions (docs/spec/control.md §3.10): one row per FSP
// session entry with the reference's field names, optional keys (handshake
// vs established fields, the session MMP block) and key order (sorted).
// session_rows() turns the session core's snapshot into rows; the node
// supplies display names (hosts/aliases/peers/short npub).
// Not here: collecting the snapshot (proto/fsp/session.h), JSON text
// (control/json_out.h).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "node/snapshot.h"
#include "proto/fsp/session.h"

namespace fips {

struct SessionRow {
  std::string remote_addr;  // node_addr hex
  std::string display_name;
  std::string npub;
  std::string state;  // established | initiating | awaiting_msg3 | unknown
  bool is_initiator = false;
  uint64_t last_activity_ms = 0;
  uint64_t packets_sent = 0, packets_recv = 0, bytes_sent = 0, bytes_recv = 0;
  std::optional<uint32_t> resend_count;  // not established
  struct Established {
    uint64_t session_start_ms = 0;
    bool current_k_bit = false;
    uint32_t coords_warmup_remaining = 0;
    bool is_draining = false;
  };
  std::optional<Established> established;
  // Session MMP (present for established entries): loss_rate = 1 -
  // delivery_ratio_forward; sqi = smoothed_etx * (1 + srtt_ms/100) when both
  // are known.
  std::optional<MmpSnapshot> mmp;
  uint16_t path_mtu = 0xFFFF;  // mmp.path_mtu: source-side current MTU
};

nlohmann::json session_json(const SessionRow& s);
nlohmann::json show_sessions_data(const std::vector<SessionRow>& sessions);

const char* mmp_mode_name(MmpMode m);  // full | lightweight | minimal

// Rows from the core's snapshot. Established rows carry the session MMP
// metrics (the reference's initial values until the peer's first
// ReceiverReport: ratios 1.0, etx 1.0, goodput 0.0, no SRTT) and the path MTU;
// `mode` names the mode of a row without MMP state.
std::vector<SessionRow> session_rows(const std::vector<fsp::SessionSnapshot>& snap,
                                     const std::function<std::string(const NodeAddr&)>& display_name,
                                     MmpMode mode);

}  // namespace fips
