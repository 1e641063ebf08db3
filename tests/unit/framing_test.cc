// Stream framing by payload_len: whole packets out of arbitrary chunking, and
// framing errors that poison only this stream.
#include <algorithm>

#include "proto/fmp/wire.h"
#include "test_util.h"
#include "transport/framing.h"

namespace fips {
namespace {

std::vector<uint8_t> established(uint16_t payload_len, uint8_t fill) {
  std::vector<uint8_t> f(fmp::kEncryptedMinSize + payload_len, fill);
  f[0] = 0x00;
  f[1] = 0x00;
  store_u16le(f.data() + 2, payload_len);
  return f;
}

std::vector<uint8_t> handshake(uint8_t phase) {
  std::vector<uint8_t> f(phase == 1 ? fmp::kMsg1WireSize : fmp::kMsg2WireSize, 0xAB);
  f[0] = phase;
  f[1] = 0;
  store_u16le(f.data() + 2, static_cast<uint16_t>(f.size() - 4));
  return f;
}

std::vector<std::vector<uint8_t>> feed(StreamDeframer& d, const std::vector<uint8_t>& stream,
                                       size_t chunk) {
  std::vector<std::vector<uint8_t>> out;
  size_t off = 0;
  while (off < stream.size()) {
    auto space = d.write_space();
    EXPECT_FALSE(space.empty());
    size_t n = std::min({chunk, space.size(), stream.size() - off});
    std::memcpy(space.data(), stream.data() + off, n);
    d.commit(n);
    off += n;
    for (;;) {
      auto p = d.next();
      EXPECT_TRUE(p.ok());
      if (!p.ok() || p->empty()) break;
      out.emplace_back(p->begin(), p->end());
    }
  }
  return out;
}

TEST(Framing, SplitsPacketsAcrossAnyChunking) {
  std::vector<std::vector<uint8_t>> pkts = {handshake(1), handshake(2), established(0, 1),
                                            established(1248, 2), established(64, 3)};
  std::vector<uint8_t> stream;
  for (auto& p : pkts) stream.insert(stream.end(), p.begin(), p.end());
  for (size_t chunk : {1u, 3u, 4u, 7u, 100u, 1280u, 5000u}) {
    StreamDeframer d(1280);
    auto got = feed(d, stream, chunk);
    EXPECT_EQ(got, pkts) << "chunk " << chunk;
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(Framing, ErrorsAreStickyAndTyped) {
  uint8_t p[4] = {0x10, 0, 0, 0};
  EXPECT_EQ(stream_packet_length(p, 1280).error().code, StreamErr::kUnknownVersion);
  p[0] = 0x03;
  EXPECT_EQ(stream_packet_length(p, 1280).error().code, StreamErr::kUnknownPhase);
  p[0] = 0x01;
  EXPECT_EQ(stream_packet_length(p, 1280).error().code, StreamErr::kHandshakeSizeMismatch);
  p[0] = 0x00;
  store_u16le(p + 2, 1249);  // 1249 + 32 > 1280
  auto e = stream_packet_length(p, 1280);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, StreamErr::kPayloadTooLarge);
  EXPECT_EQ(e.error().limit, 1248);
  store_u16le(p + 2, 0xFFFF);  // a hostile huge payload_len
  EXPECT_EQ(stream_packet_length(p, 1280).error().code, StreamErr::kPayloadTooLarge);

  StreamDeframer d(1280);
  auto space = d.write_space();
  std::memcpy(space.data(), p, 4);
  d.commit(4);
  EXPECT_FALSE(d.next().ok());
  EXPECT_FALSE(d.next().ok());  // sticky
  EXPECT_TRUE(d.write_space().empty());
}

RC_GTEST_PROP(FramingProp, RandomPacketsRandomChunks, ()) {
  auto lens = *rc::gen::container<std::vector<uint16_t>>(rc::gen::inRange<uint16_t>(0, 1249));
  const auto chunk = *rc::gen::inRange<size_t>(1, 3000);
  std::vector<std::vector<uint8_t>> pkts;
  std::vector<uint8_t> stream;
  for (uint16_t l : lens) {
    pkts.push_back(established(l, static_cast<uint8_t>(l)));
    stream.insert(stream.end(), pkts.back().begin(), pkts.back().end());
  }
  StreamDeframer d(1280);
  RC_ASSERT(feed(d, stream, chunk) == pkts);
}

}  // namespace
}  // namespace fips
