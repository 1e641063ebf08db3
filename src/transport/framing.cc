#include "transport/framing.h"

#include <algorithm>
#include <cstring>

#include "proto/fmp/wire.h"

namespace fips {

std::string_view stream_err_name(StreamErr e) {
  switch (e) {
    case StreamErr::kUnknownVersion: return "unknown FMP version";
    case StreamErr::kUnknownPhase: return "unknown FMP phase";
    case StreamErr::kPayloadTooLarge: return "payload_len exceeds MTU";
    case StreamErr::kHandshakeSizeMismatch: return "handshake payload_len mismatch";
  }
  return "stream error";
}

Result<size_t, StreamError> stream_packet_length(const uint8_t prefix[4], uint16_t mtu) {
  const uint8_t version = static_cast<uint8_t>(prefix[0] >> 4);
  const uint8_t phase = static_cast<uint8_t>(prefix[0] & 0x0F);
  const uint16_t len = load_u16le(prefix + 2);
  if (version != fmp::kVersion) return Err{StreamError{StreamErr::kUnknownVersion, len, 0}};
  switch (phase) {
    case fmp::kPhaseEstablished: {
      const uint16_t max = mtu > fmp::kEncryptedMinSize
                               ? static_cast<uint16_t>(mtu - fmp::kEncryptedMinSize)
                               : 0;
      if (len > max) return Err{StreamError{StreamErr::kPayloadTooLarge, len, max}};
      return size_t{len} + fmp::kEncryptedMinSize;
    }
    case fmp::kPhaseMsg1:
    case fmp::kPhaseMsg2: {
      const size_t total = phase == fmp::kPhaseMsg1 ? fmp::kMsg1WireSize : fmp::kMsg2WireSize;
      const auto expected = static_cast<uint16_t>(total - fmp::kCommonPrefixSize);
      if (len != expected) return Err{StreamError{StreamErr::kHandshakeSizeMismatch, len, expected}};
      return total;
    }
    default:
      return Err{StreamError{StreamErr::kUnknownPhase, len, 0}};
  }
}

StreamDeframer::StreamDeframer(uint16_t mtu)
    : mtu_(mtu), buf_(std::max<size_t>(mtu, fmp::kMsg1WireSize) * 2) {}

MutByteSpan StreamDeframer::write_space() {
  if (failed_) return {};
  // Compact when the tail is too small for a whole packet.
  if (start_ > 0 && buf_.size() - end_ < buf_.size() / 2) {
    std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  return MutByteSpan(buf_.data() + end_, buf_.size() - end_);
}

void StreamDeframer::commit(size_t n) { end_ += std::min(n, buf_.size() - end_); }

Result<ByteSpan, StreamError> StreamDeframer::next() {
  if (failed_) return Err{err_};
  const size_t have = end_ - start_;
  if (have < fmp::kCommonPrefixSize) {
    if (have == 0) start_ = end_ = 0;
    return ByteSpan{};
  }
  auto len = stream_packet_length(buf_.data() + start_, mtu_);
  if (!len) {
    failed_ = true;
    err_ = len.error();
    return Err{err_};
  }
  if (have < *len) return ByteSpan{};
  ByteSpan pkt(buf_.data() + start_, *len);
  start_ += *len;
  return pkt;
}

}  // namespace fips
