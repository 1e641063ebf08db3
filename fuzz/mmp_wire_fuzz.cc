// MMP report decoders: link SenderReport/ReceiverReport and their session
// bodies. Any input: no crash, no UB, and what decodes re-encodes to exactly
// the input.
#include <cstdlib>
#include <cstring>

#include "proto/mmp/wire.h"

using namespace fips;

namespace {

template <size_t N, class T, class Enc>
void same_bytes(const T& v, Enc enc, const uint8_t* data, size_t size) {
  uint8_t out[N];
  Writer w{MutByteSpan(out)};
  if (!enc(w, v).ok() || w.pos() != size || size != N) std::abort();
  if (std::memcmp(out, data, N) != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan in(data, size);
  if (auto r = mmp::decode_link_sender_report(in); r.ok())
    same_bytes<mmp::kLinkSenderReportSize>(*r, mmp::encode_link_sender_report, data, size);
  if (auto r = mmp::decode_link_receiver_report(in); r.ok())
    same_bytes<mmp::kLinkReceiverReportSize>(*r, mmp::encode_link_receiver_report, data, size);
  if (auto r = mmp::decode_session_sender_report(in); r.ok())
    same_bytes<mmp::kSessionSenderReportSize>(*r, mmp::encode_session_sender_report, data, size);
  if (auto r = mmp::decode_session_receiver_report(in); r.ok())
    same_bytes<mmp::kSessionReceiverReportSize>(*r, mmp::encode_session_receiver_report, data,
                                                size);
  return 0;
}
