// FSP session layer: session MMP (docs/spec/mmp.md, reference
// src/node/handlers/session.rs check_session_mmp_reports and
// handle_session_{sender,receiver}_report). On every tick each Established
// session sends, in this order, a SenderReport (mode full), a ReceiverReport
// (full, lightweight) and a PathMtuNotification (every mode), each only when
// due; a session whose reports all found no route backs off (2x .. 32x its
// interval) until one gets through. A received ReceiverReport gives RTT,
// loss, ETX and goodput for the session and retunes the report and
// PathMtuNotification intervals from the session SRTT; a received
// SenderReport is only counted, as in the reference.
// The estimators are the link layer's (proto/mmp/link_mmp.h).
#include "proto/fsp/session.h"
#include "proto/fsp/session_entry.h"
#include "proto/mmp/wire.h"

namespace fips::fsp {

void SessionManager::tick_mmp(uint64_t now, SessionActions& out) {
  for (auto& [addr, ep] : sessions_) {
    SessionEntry& e = *ep;
    if (!e.established()) continue;
    bool tried = false, sent = false;
    if (e.mmp && e.mmp->sender_report_due(now)) {
      if (auto r = e.mmp->sender.build(now)) {  // the interval restarts even if the send fails
        uint8_t body[mmp::kSessionSenderReportSize];
        Writer w{MutByteSpan(body)};
        if (mmp::encode_session_sender_report(w, *r).ok()) {
          tried = true;
          if (send_control(e, static_cast<uint8_t>(SessionMsgType::kSenderReport), body, false, now,
                           out)) {
            sent = true;
            ++counters_.mmp_reports_sent;
          }
        }
      }
    }
    if (e.mmp && e.mmp->receiver_report_due(now)) {
      if (auto r = e.mmp->receiver.build(now)) {
        uint8_t body[mmp::kSessionReceiverReportSize];
        Writer w{MutByteSpan(body)};
        if (mmp::encode_session_receiver_report(w, *r).ok()) {
          tried = true;
          if (send_control(e, static_cast<uint8_t>(SessionMsgType::kReceiverReport), body, false,
                           now, out)) {
            sent = true;
            ++counters_.mmp_reports_sent;
          }
        }
      }
    }
    if (e.mtu.notification_due(now)) {
      uint8_t body[kPathMtuNotificationSize];
      Writer w{MutByteSpan(body)};
      if (encode_path_mtu_notification(w, {e.mtu.last_observed()}).ok()) {
        tried = true;
        if (send_control(e, static_cast<uint8_t>(SessionMsgType::kPathMtuNotification), body, false,
                         now, out)) {
          sent = true;
          (void)e.mtu.take_notification(now);
          ++counters_.path_mtu_notifications_sent;
        }
      }
    }
    if (!tried || !e.mmp) continue;
    // Any report through resets the backoff; all failed doubles it.
    (void)e.mmp->sender.on_send_result(sent);
    if (!sent) ++counters_.mmp_report_send_failed;
  }
}

void SessionManager::on_report(SessionEntry& e, uint8_t msg_type, ByteSpan body, uint64_t now) {
  if (msg_type == static_cast<uint8_t>(SessionMsgType::kSenderReport)) {
    auto r = mmp::decode_session_sender_report(body);
    if (!r) {
      ++counters_.malformed;
      return;
    }
    ++counters_.mmp_sender_reports_received;
    if (e.mmp) e.mmp->on_sender_report(*r);
    return;
  }
  auto r = mmp::decode_session_receiver_report(body);
  if (!r) {
    ++counters_.malformed;
    return;
  }
  ++counters_.mmp_receiver_reports_received;
  if (!e.mmp) return;
  const uint32_t our_ts = static_cast<uint32_t>(now - std::min(now, e.session_start_ms));
  (void)e.mmp->on_receiver_report(*r, our_ts, now);
  // The PathMtuNotification interval follows the session SRTT too (S:1523).
  if (auto srtt = e.mmp->metrics.srtt_ms()) e.mtu.set_interval_from_srtt(*srtt);
}

}  // namespace fips::fsp
