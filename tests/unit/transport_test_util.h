// Helpers for transport tests: a recording sink, a bounded loop pump and FMP
// frame builders (real prefixes so the TCP deframer accepts them).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <vector>

#include "dataplane/buffer_pool.h"
#include "io/event_loop.h"
#include "proto/fmp/wire.h"
#include "transport/transport.h"

namespace fips::test {

struct RecvPacket {
  TransportId tid;
  TransportAddr from;
  std::vector<uint8_t> data;
  size_t headroom;
};

// Copies each packet out and releases the buffer (unless hold is set, then
// keeps it to simulate a consumer that is slow to give buffers back).
class RecordingSink : public TransportSink {
 public:
  void on_packet(TransportId tid, const TransportAddr& from, PacketBuf&& pkt) override {
    packets.push_back(
        {tid, from, std::vector<uint8_t>(pkt.data(), pkt.data() + pkt.size()), pkt.headroom()});
    if (hold) held.push_back(std::move(pkt));
    if (on_packet_hook) on_packet_hook(from);
  }
  void on_burst_end() override { ++bursts; }
  void on_connect_failed(TransportId, const TransportAddr& a) override { failed.push_back(a); }
  void on_connection_closed(TransportId, const TransportAddr& a) override { closed.push_back(a); }

  std::vector<RecvPacket> packets;
  std::vector<PacketBuf> held;
  std::vector<TransportAddr> failed, closed;
  std::function<void(const TransportAddr&)> on_packet_hook;
  size_t bursts = 0;
  bool hold = false;
};

// Runs the loop in short rounds until pred() holds or ~timeout_ms passed.
inline bool pump_until(EventLoop& loop, const std::function<bool()>& pred, int timeout_ms = 3000) {
  const uint64_t end = monotonic_ms() + static_cast<uint64_t>(timeout_ms);
  while (!pred()) {
    if (monotonic_ms() > end) return false;
    loop.run_once(5);
  }
  return true;
}

// A few rounds with no condition (to show something does NOT happen).
inline void pump_for(EventLoop& loop, int ms) {
  const uint64_t end = monotonic_ms() + static_cast<uint64_t>(ms);
  while (monotonic_ms() < end) loop.run_once(2);
}

inline PacketBuf make_pkt(BufferPool& pool, const std::vector<uint8_t>& bytes) {
  PacketBuf p = pool.acquire();
  EXPECT_TRUE(p.valid());
  if (!p) return p;
  EXPECT_TRUE(p.push_back(bytes.size()));
  std::memcpy(p.data(), bytes.data(), bytes.size());
  return p;
}

// Phase 0 frame: prefix(0x00, flags, payload_len) + 12 header bytes + payload + 16 tag.
inline std::vector<uint8_t> fmp_frame(uint16_t payload_len, uint8_t fill) {
  std::vector<uint8_t> f(fmp::kEncryptedMinSize + payload_len, fill);
  f[0] = 0x00;
  f[1] = 0x00;
  store_u16le(f.data() + 2, payload_len);
  return f;
}

// Phase 1 (msg1, 114 bytes) or phase 2 (msg2, 69 bytes) handshake packet.
inline std::vector<uint8_t> fmp_handshake(uint8_t phase, uint8_t fill) {
  std::vector<uint8_t> f(phase == 1 ? fmp::kMsg1WireSize : fmp::kMsg2WireSize, fill);
  f[0] = phase;
  f[1] = 0;
  store_u16le(f.data() + 2, static_cast<uint16_t>(f.size() - fmp::kCommonPrefixSize));
  return f;
}

}  // namespace fips::test
