// Post-handshake transport state: send key + counter, receive key + replay
// window. The order on receive is fixed: replay check, AEAD open, accept.
// Not here: frame layouts (proto/fmp, proto/fsp wire codecs).
#pragma once

#include <cstdint>
#include <span>

#include "crypto/aead.h"
#include "noise/handshake.h"
#include "noise/replay.h"
#include "util/result.h"

namespace fips {

class NoiseTransport {
 public:
  NoiseTransport() = default;
  explicit NoiseTransport(HandshakeResult&& hs)
      : send_(std::move(hs.send)), recv_(std::move(hs.recv)) {}

  // Next counter that seal() will use.
  [[nodiscard]] uint64_t next_send_counter() const { return send_counter_; }
  // Reserves a counter for a seal done elsewhere (a worker with a key clone).
  [[nodiscard]] Result<uint64_t, NoiseErr> take_send_counter() {
    if (send_counter_ == UINT64_MAX) return Err{NoiseErr::kNonceOverflow};
    return send_counter_++;
  }

  // Seals in (may alias out) with the next counter; out needs in.size()+16.
  [[nodiscard]] Result<uint64_t, NoiseErr> seal(std::span<const uint8_t> aad,
                                                std::span<const uint8_t> in, uint8_t* out) {
    auto c = take_send_counter();
    if (!c) return c;
    if (!send_.seal(*c, aad, in, out)) return Err{NoiseErr::kEncrypt};
    return c;
  }
  // Seals with an explicit, already-reserved counter.
  [[nodiscard]] bool seal_with(uint64_t counter, std::span<const uint8_t> aad,
                               std::span<const uint8_t> in, uint8_t* out) {
    return send_.seal(counter, aad, in, out);
  }

  // Opens in (ciphertext||tag, may alias out). The window moves only on success.
  [[nodiscard]] Result<void, NoiseErr> open(uint64_t counter, std::span<const uint8_t> aad,
                                            std::span<const uint8_t> in, uint8_t* out) {
    if (!replay_.check(counter)) return Err{NoiseErr::kReplay};
    if (!recv_.open(counter, aad, in, out)) return Err{NoiseErr::kDecrypt};
    replay_.accept(counter);
    return {};
  }

  [[nodiscard]] const ReplayWindow& replay() const { return replay_; }
  [[nodiscard]] AeadKey& send_key() { return send_; }
  [[nodiscard]] AeadKey& recv_key() { return recv_; }

 private:
  AeadKey send_;
  uint64_t send_counter_ = 0;
  AeadKey recv_;
  ReplayWindow replay_;
};

}  // namespace fips
