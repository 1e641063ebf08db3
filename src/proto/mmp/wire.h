// MMP report codecs: SenderReport / ReceiverReport in their link form (FMP
// link messages 0x01 / 0x02, msg_type byte included) and their session form
// (FSP bodies of session messages 0x11 / 0x12, msg_type carried by the FSP
// inner header).
// Not here: MMP metric algorithms and state (proto/mmp/*), FSP framing and
// the PathMtuNotification body 0x13 (proto/fsp/wire.h, although the
// reference keeps it in mmp/wire.rs), the link/session dispatch.
//
// One struct per report; the metric fields are identical in both layers, only
// the framing differs (reference src/proto/mmp/wire.rs, wire-formats.md):
//   link    SenderReport   48 = msg_type 0x01 + reserved(3) + fields(44)
//   session SenderReport   46 =                 reserved(2) + fields(44)
//   link    ReceiverReport 68 = msg_type 0x02 + reserved(3) + fields(64)
//   session ReceiverReport 66 =                 reserved(2) + fields(64)
// ReceiverReport's fields hold 2 more reserved bytes after mean_burst_loss.
//
// As the reference's decoders, ours check a minimum length only, skip the
// reserved bytes without looking at them and ignore trailing bytes; encoders
// write zero reserved bytes and exact lengths (docs/interop.md).
//
// Link decoders take the message from its msg_type byte (as fmp/wire.h);
// session decoders take the body after the FSP inner header.
#pragma once

#include <cstdint>

#include "util/bytes.h"

namespace fips::mmp {

inline constexpr uint8_t kLinkSenderReportType = 0x01;
inline constexpr uint8_t kLinkReceiverReportType = 0x02;
inline constexpr uint8_t kSessionSenderReportType = 0x11;
inline constexpr uint8_t kSessionReceiverReportType = 0x12;

inline constexpr size_t kSenderReportFieldsSize = 44;
inline constexpr size_t kReceiverReportFieldsSize = 64;  // includes its 2 inner reserved bytes
inline constexpr size_t kLinkSenderReportSize = 1 + 3 + kSenderReportFieldsSize;
inline constexpr size_t kSessionSenderReportSize = 2 + kSenderReportFieldsSize;
inline constexpr size_t kLinkReceiverReportSize = 1 + 3 + kReceiverReportFieldsSize;
inline constexpr size_t kSessionReceiverReportSize = 2 + kReceiverReportFieldsSize;
static_assert(kLinkSenderReportSize == 48 && kSessionSenderReportSize == 46);
static_assert(kLinkReceiverReportSize == 68 && kSessionReceiverReportSize == 66);

struct SenderReport {
  uint64_t interval_start_counter = 0;
  uint64_t interval_end_counter = 0;
  uint32_t interval_start_timestamp = 0;
  uint32_t interval_end_timestamp = 0;
  uint32_t interval_bytes_sent = 0;
  uint64_t cumulative_packets_sent = 0;
  uint64_t cumulative_bytes_sent = 0;
  bool operator==(const SenderReport&) const = default;
};

struct ReceiverReport {
  uint64_t highest_counter = 0;
  uint64_t cumulative_packets_recv = 0;
  uint64_t cumulative_bytes_recv = 0;
  uint32_t timestamp_echo = 0;
  uint16_t dwell_time = 0;  // ms between receive and echo
  uint16_t max_burst_loss = 0;
  uint16_t mean_burst_loss = 0;  // u8.8 fixed point
  uint32_t jitter = 0;           // microseconds
  uint32_t ecn_ce_count = 0;
  int32_t owd_trend = 0;  // µs/s, signed
  uint32_t burst_loss_count = 0;
  uint32_t cumulative_reorder_count = 0;
  uint32_t interval_packets_recv = 0;
  uint32_t interval_bytes_recv = 0;
  bool operator==(const ReceiverReport&) const = default;
};

// ---- Link form (FMP link messages 0x01 / 0x02) ----
[[nodiscard]] WireResult<SenderReport> decode_link_sender_report(ByteSpan msg);
[[nodiscard]] WireStatus encode_link_sender_report(Writer& w, const SenderReport& r);
[[nodiscard]] WireResult<ReceiverReport> decode_link_receiver_report(ByteSpan msg);
[[nodiscard]] WireStatus encode_link_receiver_report(Writer& w, const ReceiverReport& r);

// ---- Session body form (FSP 0x11 / 0x12, no msg_type) ----
[[nodiscard]] WireResult<SenderReport> decode_session_sender_report(ByteSpan body);
[[nodiscard]] WireStatus encode_session_sender_report(Writer& w, const SenderReport& r);
[[nodiscard]] WireResult<ReceiverReport> decode_session_receiver_report(ByteSpan body);
[[nodiscard]] WireStatus encode_session_receiver_report(Writer& w, const ReceiverReport& r);

}  // namespace fips::mmp
