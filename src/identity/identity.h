// Node identities: our own (secret) Identity and a remote PeerIdentity, with
// NIP-19 npub/nsec and hex encodings. Not here: key files and config
// (config/), handshakes (noise/).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crypto/secp256k1.h"
#include "identity/node_addr.h"
#include "util/bech32.h"
#include "util/result.h"

namespace fips {

enum class IdentityErr : uint8_t {
  kBech32,        // bech32 layer failed (see bech32)
  kWrongPrefix,   // decoded fine but the human-readable part is not the one asked for
  kWrongLength,   // payload is not 32 bytes
  kBadHex,        // not valid hex
  kInvalidKey,    // bytes are not a valid secp256k1 secret / x coordinate / point
  kUnrecognized,  // input is none of the accepted forms
};

struct IdentityError {
  IdentityErr code = IdentityErr::kUnrecognized;
  Bech32Err bech32 = Bech32Err::kBadChecksum;  // meaningful when code == kBech32
  std::string got;                             // the prefix seen (kWrongPrefix)
  size_t length = 0;                           // the length seen (kWrongLength)
  std::string expected;                        // "npub", "nsec", ...
  std::string message() const;
};

template <class T>
using IdResult = Result<T, IdentityError>;

// NIP-19 codecs over raw 32-byte values.
std::string encode_npub(const XOnlyKey& x);
std::string encode_nsec(const SecretKey& sk);
[[nodiscard]] IdResult<XOnlyKey> decode_npub(std::string_view s);
[[nodiscard]] IdResult<SecretKey> decode_nsec(std::string_view s);
// nsec1... or 64 hex characters.
[[nodiscard]] IdResult<SecretKey> decode_secret(std::string_view s);

// A remote node, known by its public key.
class PeerIdentity {
 public:
  // From an x-only key; the compressed form is the even-parity lift until a
  // handshake tells us the real one.
  static std::optional<PeerIdentity> from_xonly(const XOnlyKey& x);
  static std::optional<PeerIdentity> from_compressed(const CompressedKey& k);
  [[nodiscard]] static IdResult<PeerIdentity> from_npub(std::string_view npub);
  // npub1..., 64 hex chars (x-only) or 66 hex chars (compressed).
  [[nodiscard]] static IdResult<PeerIdentity> parse(std::string_view s);

  const XOnlyKey& xonly() const { return xonly_; }
  const CompressedKey& compressed() const { return compressed_; }
  const NodeAddr& node_addr() const { return node_addr_; }
  FipsAddress address() const { return FipsAddress::from_node_addr(node_addr_); }
  std::string npub() const { return encode_npub(xonly_); }
  std::string short_npub() const;

  // Schnorr verify of sig over SHA-256(data), as the reference signs.
  [[nodiscard]] bool verify(std::span<const uint8_t> data, std::span<const uint8_t, 64> sig) const;

  bool operator==(const PeerIdentity& o) const { return xonly_ == o.xonly_; }

 private:
  PeerIdentity(const XOnlyKey& x, const CompressedKey& c);
  XOnlyKey xonly_{};
  CompressedKey compressed_{};
  NodeAddr node_addr_{};
};

// Our own node identity. Holds the secret; move-only.
class Identity {
 public:
  static Identity generate();
  static Identity from_secret(SecretKey sk);
  // nsec1... or 64 hex characters.
  [[nodiscard]] static IdResult<Identity> from_secret_str(std::string_view s);

  Identity(Identity&&) noexcept = default;
  Identity& operator=(Identity&&) noexcept = default;
  [[nodiscard]] Identity clone() const { return from_secret(sk_.clone()); }

  const SecretKey& secret() const { return sk_; }
  const CompressedKey& compressed() const { return pub_; }
  XOnlyKey xonly() const { return to_xonly(pub_); }
  const NodeAddr& node_addr() const { return node_addr_; }
  FipsAddress address() const { return FipsAddress::from_node_addr(node_addr_); }
  std::string npub() const { return encode_npub(xonly()); }
  std::string nsec() const { return encode_nsec(sk_); }
  PeerIdentity as_peer() const { return *PeerIdentity::from_compressed(pub_); }

  // Schnorr signature over SHA-256(data), as the reference signs.
  SchnorrSig sign(std::span<const uint8_t> data) const;

 private:
  explicit Identity(SecretKey sk);
  SecretKey sk_;
  KeyPair kp_;
  CompressedKey pub_{};
  NodeAddr node_addr_{};
};

}  // namespace fips
