// Noise_IK_secp256k1_ChaChaPoly_SHA256 (FMP links) and
// Noise_XK_secp256k1_ChaChaPoly_SHA256 (FSP sessions) with the FIPS epoch
// payloads, byte-compatible with the reference:
//   - h = ck = SHA-256(protocol name) (names are 36 bytes); no prologue;
//   - the pre-message static key is mixed as its compressed form with the
//     prefix forced to 0x02 (parity-normalised);
//   - DH = SHA-256(x coordinate of the shared point);
//   - payload AEAD uses EMPTY associated data (the reference does not bind h);
//   - IK msg2's "se" mixes DH(initiator ephemeral, responder static).
// Not here: framing (proto/fmp, proto/fsp), transport counters (noise/transport.h).
//
// Every read_* leaves the state unchanged when it fails.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "crypto/aead.h"
#include "crypto/secp256k1.h"
#include "crypto/sha256.h"
#include "identity/identity.h"
#include "util/result.h"

namespace fips {

inline constexpr size_t kPubkeySize = 33;
inline constexpr size_t kEpochSize = 8;
inline constexpr size_t kEpochEncryptedSize = kEpochSize + kAeadTagSize;                  // 24
inline constexpr size_t kIkMsg1Size = kPubkeySize + kPubkeySize + kAeadTagSize + kEpochEncryptedSize;  // 106
inline constexpr size_t kIkMsg2Size = kPubkeySize + kEpochEncryptedSize;                  // 57
inline constexpr size_t kXkMsg1Size = kPubkeySize;                                        // 33
inline constexpr size_t kXkMsg2Size = kPubkeySize + kEpochEncryptedSize;                  // 57
inline constexpr size_t kXkMsg3Size = kPubkeySize + kAeadTagSize + kEpochEncryptedSize;   // 73
static_assert(kIkMsg1Size == 106 && kIkMsg2Size == 57);
static_assert(kXkMsg1Size == 33 && kXkMsg2Size == 57 && kXkMsg3Size == 73);

inline constexpr std::string_view kProtocolNameIK = "Noise_IK_secp256k1_ChaChaPoly_SHA256";
inline constexpr std::string_view kProtocolNameXK = "Noise_XK_secp256k1_ChaChaPoly_SHA256";

using Epoch = std::array<uint8_t, kEpochSize>;

enum class NoisePattern : uint8_t { kIK, kXK };
enum class NoiseRole : uint8_t { kInitiator, kResponder };
enum class HandshakeProgress : uint8_t { kInitial, kMsg1Done, kMsg2Done, kComplete };

enum class NoiseErr : uint8_t {
  kWrongRole,      // this side does not send/receive that message
  kWrongState,     // message out of order
  kBadSize,        // message length is not the pattern's fixed size
  kInvalidKey,     // a public key in the message does not parse / DH failed
  kDecrypt,        // AEAD tag did not verify
  kNotComplete,    // split() before the last message
  kNonceOverflow,  // counter exhausted
  kReplay,         // counter already seen or older than the replay window
  kEncrypt,        // sealing failed (no key or library failure)
};
std::string_view noise_err_name(NoiseErr e);

// Keys and facts produced by a completed handshake.
struct HandshakeResult {
  NoiseRole role = NoiseRole::kInitiator;
  AeadKey send;
  AeadKey recv;
  Digest32 handshake_hash{};
  CompressedKey remote_static{};
  Epoch remote_epoch{};
};

class HandshakeState {
 public:
  // IK: the initiator knows the responder's static key (any parity works).
  static HandshakeState ik_initiator(const Identity& local, const CompressedKey& remote_static,
                                     const Epoch& local_epoch);
  static HandshakeState ik_responder(const Identity& local, const Epoch& local_epoch);
  static HandshakeState xk_initiator(const Identity& local, const CompressedKey& remote_static,
                                     const Epoch& local_epoch);
  static HandshakeState xk_responder(const Identity& local, const Epoch& local_epoch);

  HandshakeState(HandshakeState&&) noexcept = default;
  HandshakeState& operator=(HandshakeState&&) noexcept = default;

  // Size of the next message this side writes or reads (0 when complete).
  [[nodiscard]] size_t next_message_size() const;
  [[nodiscard]] bool is_my_turn_to_write() const;

  // Writes the next message of the pattern into out (exactly next_message_size()
  // bytes). IK: msg1 (initiator), msg2 (responder). XK: msg1, msg3 (initiator),
  // msg2 (responder).
  [[nodiscard]] Result<size_t, NoiseErr> write_message(std::span<uint8_t> out);
  // Reads the next message of the pattern. On failure nothing changes.
  [[nodiscard]] Result<void, NoiseErr> read_message(std::span<const uint8_t> in);

  // After completion: derive the transport keys (c1 = initiator->responder).
  [[nodiscard]] Result<HandshakeResult, NoiseErr> split() const;

  [[nodiscard]] NoisePattern pattern() const { return pattern_; }
  [[nodiscard]] NoiseRole role() const { return role_; }
  [[nodiscard]] HandshakeProgress progress() const { return progress_; }
  [[nodiscard]] bool is_complete() const { return progress_ == HandshakeProgress::kComplete; }
  [[nodiscard]] const Digest32& handshake_hash() const { return sym_.h; }
  // Known from the start (initiator), after msg1 (IK responder) or msg3 (XK responder).
  [[nodiscard]] const std::optional<CompressedKey>& remote_static() const { return remote_static_; }
  [[nodiscard]] const std::optional<Epoch>& remote_epoch() const { return remote_epoch_; }

 private:
  friend struct NoiseTestHooks;  // defined only in tests: injects ephemerals

  struct Symmetric {
    Key32 ck;
    Digest32 h{};
    Key32 k;
    bool has_k = false;
    uint64_t n = 0;
    Symmetric clone() const;
    void mix_hash(std::span<const uint8_t> data);
    void mix_key(const Key32& ikm);
    bool encrypt_and_hash(std::span<const uint8_t> pt, uint8_t* out);
    bool decrypt_and_hash(std::span<const uint8_t> ct, uint8_t* out);
  };

  HandshakeState(NoisePattern p, NoiseRole r, const Identity& local, const Epoch& epoch);
  void mix_premessage(const CompressedKey& responder_static);
  SecretKey make_ephemeral();

  NoisePattern pattern_;
  NoiseRole role_;
  HandshakeProgress progress_ = HandshakeProgress::kInitial;
  Symmetric sym_;
  SecretKey local_static_;
  CompressedKey local_static_pub_{};
  std::optional<SecretKey> ephemeral_;
  std::optional<SecretKey> next_ephemeral_;  // test hook only
  std::optional<CompressedKey> remote_static_;
  std::optional<CompressedKey> remote_ephemeral_;
  Epoch local_epoch_{};
  std::optional<Epoch> remote_epoch_;
};

}  // namespace fips
