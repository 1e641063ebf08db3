// FMP packet framing on byte streams (TCP, later Tor): packets are delimited
// by the common prefix's payload_len, as the reference's stream reader does.
// This is the one place stream framing is done; sockets only feed bytes in.
// Not here: sockets and connection management (transport/tcp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"

namespace fips {

enum class StreamErr : uint8_t {
  kUnknownVersion,         // version nibble is not 0
  kUnknownPhase,           // phase is not 0, 1 or 2
  kPayloadTooLarge,        // established payload_len exceeds mtu - 32
  kHandshakeSizeMismatch,  // msg1/msg2 payload_len is not 110 / 65
};
std::string_view stream_err_name(StreamErr e);

struct StreamError {
  StreamErr code;
  uint16_t payload_len = 0;
  uint16_t limit = 0;  // max (kPayloadTooLarge) or expected (kHandshakeSizeMismatch)
};

// Total packet length announced by a 4-byte common prefix, or why the stream
// is unusable. mtu bounds established frames (reference: payload_len <= mtu - 32).
[[nodiscard]] Result<size_t, StreamError> stream_packet_length(const uint8_t prefix[4], uint16_t mtu);

// Accumulates stream bytes in a fixed buffer and hands out whole packets.
// Memory is bounded by the capacity given at construction; a framing error
// is sticky (the connection must be closed; no resynchronisation is possible).
class StreamDeframer {
 public:
  explicit StreamDeframer(uint16_t mtu);

  // Free space to read() into; empty only while a complete packet is pending.
  [[nodiscard]] MutByteSpan write_space();
  void commit(size_t n);

  // The next complete packet (a view valid until the next call), an empty
  // span when more bytes are needed, or the framing error.
  [[nodiscard]] Result<ByteSpan, StreamError> next();

  [[nodiscard]] size_t buffered() const { return end_ - start_; }

 private:
  uint16_t mtu_;
  std::vector<uint8_t> buf_;
  size_t start_ = 0, end_ = 0;
  bool failed_ = false;
  StreamError err_{StreamErr::kUnknownVersion};
};

}  // namespace fips
