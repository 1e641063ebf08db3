// MMP report decoders: link SenderReport/ReceiverReport and their session
// bodies. Any input: no crash, no UB, and what decodes re-encodes to the
// input's first N bytes except the reserved bytes (skipped unread, as the
// reference, and written as zero); bytes after N are ignored.
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "proto/mmp/wire.h"

using namespace fips;

namespace {

// reserved: offsets the decoder skips (re-encoded as zero).
template <size_t N, class T, class Enc>
void same_bytes(const T& v, Enc enc, const uint8_t* data, size_t size,
                std::initializer_list<size_t> reserved) {
  uint8_t out[N];
  Writer w{MutByteSpan(out)};
  if (!enc(w, v).ok() || w.pos() != N || size < N) std::abort();
  for (size_t i = 0; i < N; ++i) {
    bool skip = false;
    for (size_t r : reserved) skip |= (r == i);
    if (skip ? out[i] != 0 : out[i] != data[i]) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  // Link forms: [0] msg_type, [1..4) reserved; ReceiverReport fields hold 2
  // more reserved bytes at field offset 34. Session forms: [0..2) reserved.
  if (auto r = mmp::decode_link_sender_report(in); r.ok())
    same_bytes<mmp::kLinkSenderReportSize>(*r, mmp::encode_link_sender_report, data, size, {1, 2, 3});
  if (auto r = mmp::decode_link_receiver_report(in); r.ok())
    same_bytes<mmp::kLinkReceiverReportSize>(*r, mmp::encode_link_receiver_report, data, size,
                                             {1, 2, 3, 4 + 34, 4 + 35});
  if (auto r = mmp::decode_session_sender_report(in); r.ok())
    same_bytes<mmp::kSessionSenderReportSize>(*r, mmp::encode_session_sender_report, data, size, {0, 1});
  if (auto r = mmp::decode_session_receiver_report(in); r.ok())
    same_bytes<mmp::kSessionReceiverReportSize>(*r, mmp::encode_session_receiver_report, data,
                                                size, {0, 1, 2 + 34, 2 + 35});
  return 0;
}
