#include "node/mmp_snapshot.h"

namespace fips {

MmpSnapshot mmp_snapshot_of(const mmp::Metrics& x, mmp::Mode mode, bool spin_initiator) {
  MmpSnapshot ms;
  ms.mode = mmp::mode_name(mode);
  ms.delivery_ratio_forward = x.delivery_forward;
  ms.delivery_ratio_reverse = x.delivery_reverse;
  ms.etx = x.etx;
  ms.goodput_bps = x.goodput_bps;
  ms.smoothed_etx = x.smoothed_etx();
  ms.smoothed_loss = x.smoothed_loss();
  ms.srtt_ms = x.srtt_ms();
  ms.spin_bit_role = spin_initiator ? "initiator" : "responder";
  auto trend = [](const mmp::DualEwma& e) -> std::optional<std::string> {
    if (!e.initialized()) return std::nullopt;
    return std::string(mmp::trend_label(e));
  };
  ms.rtt_trend = trend(x.rtt_trend);
  ms.loss_trend = trend(x.loss_trend);
  ms.goodput_trend = trend(x.goodput_trend);
  ms.jitter_trend = trend(x.jitter_trend);
  ms.etx_trend = trend(x.etx_trend);
  ms.ecn_ce_count = x.last_ecn_ce();
  return ms;
}

}  // namespace fips
