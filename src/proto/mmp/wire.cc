#include "proto/mmp/wire.h"

namespace fips::mmp {

namespace {

// Skips n reserved bytes without looking at them (as the reference).
void read_reserved(Reader& r, size_t n, const char* field) { (void)r.bytes(n, field); }

void read_type(Reader& r, uint8_t expected) {
  const uint8_t t = r.u8();
  if (r.ok() && t != expected) r.fail(WireErr::kBadType, "msg_type", expected, t);
}

// Length check before any field: a short message is kTruncated whatever its
// reserved bytes hold (the reference, too, checks the minimum length first).
void require_size(Reader& r, size_t total, const char* field) {
  if (r.ok() && r.size() < total) r.fail(WireErr::kTruncated, field, total, r.size());
}

// The 44 field bytes shared by both SenderReport forms.
SenderReport read_sr_fields(Reader& r) {
  SenderReport s;
  s.interval_start_counter = r.u64le();
  s.interval_end_counter = r.u64le();
  s.interval_start_timestamp = r.u32le();
  s.interval_end_timestamp = r.u32le();
  s.interval_bytes_sent = r.u32le();
  s.cumulative_packets_sent = r.u64le();
  s.cumulative_bytes_sent = r.u64le();
  return s;
}

void write_sr_fields(Writer& w, const SenderReport& s) {
  w.u64le(s.interval_start_counter);
  w.u64le(s.interval_end_counter);
  w.u32le(s.interval_start_timestamp);
  w.u32le(s.interval_end_timestamp);
  w.u32le(s.interval_bytes_sent);
  w.u64le(s.cumulative_packets_sent);
  w.u64le(s.cumulative_bytes_sent);
}

// The 64 field bytes shared by both ReceiverReport forms.
ReceiverReport read_rr_fields(Reader& r) {
  ReceiverReport rr;
  rr.highest_counter = r.u64le();
  rr.cumulative_packets_recv = r.u64le();
  rr.cumulative_bytes_recv = r.u64le();
  rr.timestamp_echo = r.u32le();
  rr.dwell_time = r.u16le();
  rr.max_burst_loss = r.u16le();
  rr.mean_burst_loss = r.u16le();
  read_reserved(r, 2, "reserved_mid");
  rr.jitter = r.u32le();
  rr.ecn_ce_count = r.u32le();
  rr.owd_trend = static_cast<int32_t>(r.u32le());
  rr.burst_loss_count = r.u32le();
  rr.cumulative_reorder_count = r.u32le();
  rr.interval_packets_recv = r.u32le();
  rr.interval_bytes_recv = r.u32le();
  return rr;
}

void write_rr_fields(Writer& w, const ReceiverReport& rr) {
  w.u64le(rr.highest_counter);
  w.u64le(rr.cumulative_packets_recv);
  w.u64le(rr.cumulative_bytes_recv);
  w.u32le(rr.timestamp_echo);
  w.u16le(rr.dwell_time);
  w.u16le(rr.max_burst_loss);
  w.u16le(rr.mean_burst_loss);
  w.zeros(2);
  w.u32le(rr.jitter);
  w.u32le(rr.ecn_ce_count);
  w.u32le(static_cast<uint32_t>(rr.owd_trend));
  w.u32le(rr.burst_loss_count);
  w.u32le(rr.cumulative_reorder_count);
  w.u32le(rr.interval_packets_recv);
  w.u32le(rr.interval_bytes_recv);
}

}  // namespace

WireResult<SenderReport> decode_link_sender_report(ByteSpan msg) {
  Reader r(msg);
  read_type(r, kLinkSenderReportType);
  require_size(r, kLinkSenderReportSize, "sender_report");
  read_reserved(r, 3, "reserved");
  SenderReport s = read_sr_fields(r);
  FIPS_TRY(r.status());  // trailing bytes ignored
  return s;
}

WireStatus encode_link_sender_report(Writer& w, const SenderReport& s) {
  w.u8(kLinkSenderReportType);
  w.zeros(3);
  write_sr_fields(w, s);
  return w.status();
}

WireResult<ReceiverReport> decode_link_receiver_report(ByteSpan msg) {
  Reader r(msg);
  read_type(r, kLinkReceiverReportType);
  require_size(r, kLinkReceiverReportSize, "receiver_report");
  read_reserved(r, 3, "reserved");
  ReceiverReport rr = read_rr_fields(r);
  FIPS_TRY(r.status());  // trailing bytes ignored
  return rr;
}

WireStatus encode_link_receiver_report(Writer& w, const ReceiverReport& rr) {
  w.u8(kLinkReceiverReportType);
  w.zeros(3);
  write_rr_fields(w, rr);
  return w.status();
}

WireResult<SenderReport> decode_session_sender_report(ByteSpan body) {
  Reader r(body);
  require_size(r, kSessionSenderReportSize, "sender_report");
  read_reserved(r, 2, "reserved");
  SenderReport s = read_sr_fields(r);
  FIPS_TRY(r.status());  // trailing bytes ignored
  return s;
}

WireStatus encode_session_sender_report(Writer& w, const SenderReport& s) {
  w.zeros(2);
  write_sr_fields(w, s);
  return w.status();
}

WireResult<ReceiverReport> decode_session_receiver_report(ByteSpan body) {
  Reader r(body);
  require_size(r, kSessionReceiverReportSize, "receiver_report");
  read_reserved(r, 2, "reserved");
  ReceiverReport rr = read_rr_fields(r);
  FIPS_TRY(r.status());  // trailing bytes ignored
  return rr;
}

WireStatus encode_session_receiver_report(Writer& w, const ReceiverReport& rr) {
  w.zeros(2);
  write_rr_fields(w, rr);
  return w.status();
}

}  // namespace fips::mmp
