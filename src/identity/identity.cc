#include "identity/identity.h"

#include "util/hex.h"

namespace fips {
namespace {

constexpr std::string_view kNpubHrp = "npub";
constexpr std::string_view kNsecHrp = "nsec";

Err<IdentityError> id_err(IdentityErr code) { return Err{IdentityError{code, {}, {}, 0, {}}}; }

IdResult<std::vector<uint8_t>> decode32(std::string_view s, std::string_view hrp) {
  auto d = bech32_decode(s);
  if (!d) {
    IdentityError e;
    e.code = IdentityErr::kBech32;
    e.bech32 = d.error();
    e.expected = std::string(hrp);
    return Err{std::move(e)};
  }
  if (d->hrp != hrp) {
    IdentityError e;
    e.code = IdentityErr::kWrongPrefix;
    e.got = d->hrp;
    e.expected = std::string(hrp);
    return Err{std::move(e)};
  }
  if (d->data.size() != 32) {
    IdentityError e;
    e.code = IdentityErr::kWrongLength;
    e.length = d->data.size();
    e.expected = std::string(hrp);
    secure_wipe(d->data.data(), d->data.size());
    return Err{std::move(e)};
  }
  return std::move(d->data);
}

}  // namespace

std::string IdentityError::message() const {
  switch (code) {
    case IdentityErr::kBech32:
      return "invalid " + (expected.empty() ? std::string("bech32") : expected) + ": " +
             std::string(bech32_err_name(bech32));
    case IdentityErr::kWrongPrefix:
      return "wrong prefix: expected " + expected + ", got " + got;
    case IdentityErr::kWrongLength:
      return "wrong length: expected 32 bytes, got " + std::to_string(length);
    case IdentityErr::kBadHex: return "invalid hex";
    case IdentityErr::kInvalidKey: return "invalid key: not a valid secp256k1 " + expected;
    case IdentityErr::kUnrecognized:
      return "unrecognized key format (expected nsec1.../npub1... or hex)";
  }
  return "identity error";
}

std::string encode_npub(const XOnlyKey& x) { return bech32_encode(kNpubHrp, x); }

std::string encode_nsec(const SecretKey& sk) { return bech32_encode(kNsecHrp, sk.bytes().span()); }

IdResult<XOnlyKey> decode_npub(std::string_view s) {
  auto d = decode32(s, kNpubHrp);
  if (!d) return Err{d.error()};
  XOnlyKey x;
  std::memcpy(x.data(), d->data(), 32);
  if (!xonly_valid(x)) {
    IdentityError e;
    e.code = IdentityErr::kInvalidKey;
    e.expected = "public key";
    return Err{std::move(e)};
  }
  return x;
}

IdResult<SecretKey> decode_nsec(std::string_view s) {
  auto d = decode32(s, kNsecHrp);
  if (!d) return Err{d.error()};
  auto sk = SecretKey::from_bytes(std::span<const uint8_t, 32>(d->data(), 32));
  secure_wipe(d->data(), d->size());
  if (!sk) {
    IdentityError e;
    e.code = IdentityErr::kInvalidKey;
    e.expected = "secret key";
    return Err{std::move(e)};
  }
  return std::move(*sk);
}

IdResult<SecretKey> decode_secret(std::string_view s) {
  if (s.starts_with("nsec1")) return decode_nsec(s);
  Key32 raw;
  if (s.size() != 64) {
    if (from_hex(s)) {
      IdentityError e;
      e.code = IdentityErr::kWrongLength;
      e.length = s.size() / 2;
      e.expected = "nsec";
      return Err{std::move(e)};
    }
    return id_err(IdentityErr::kUnrecognized);
  }
  if (!from_hex_into(s, raw.mut_span())) return id_err(IdentityErr::kBadHex);
  auto sk = SecretKey::from_bytes(raw.span());
  if (!sk) {
    IdentityError e;
    e.code = IdentityErr::kInvalidKey;
    e.expected = "secret key";
    return Err{std::move(e)};
  }
  return std::move(*sk);
}

// ---- PeerIdentity ----

PeerIdentity::PeerIdentity(const XOnlyKey& x, const CompressedKey& c)
    : xonly_(x), compressed_(c), node_addr_(NodeAddr::from_xonly(x)) {}

std::optional<PeerIdentity> PeerIdentity::from_xonly(const XOnlyKey& x) {
  if (!xonly_valid(x)) return std::nullopt;
  return PeerIdentity(x, lift_x_even(x));
}

std::optional<PeerIdentity> PeerIdentity::from_compressed(const CompressedKey& k) {
  if (!pubkey_valid(k)) return std::nullopt;
  return PeerIdentity(to_xonly(k), k);
}

IdResult<PeerIdentity> PeerIdentity::from_npub(std::string_view npub) {
  auto x = decode_npub(npub);
  if (!x) return Err{x.error()};
  return PeerIdentity(*x, lift_x_even(*x));
}

IdResult<PeerIdentity> PeerIdentity::parse(std::string_view s) {
  if (s.starts_with("npub1")) return from_npub(s);
  IdentityError bad_key;
  bad_key.code = IdentityErr::kInvalidKey;
  bad_key.expected = "public key";
  if (s.size() == 64) {
    XOnlyKey x;
    if (!from_hex_into(s, x)) return id_err(IdentityErr::kBadHex);
    auto p = from_xonly(x);
    if (!p) return Err{bad_key};
    return *p;
  }
  if (s.size() == 66) {
    CompressedKey k;
    if (!from_hex_into(s, k)) return id_err(IdentityErr::kBadHex);
    auto p = from_compressed(k);
    if (!p) return Err{bad_key};
    return *p;
  }
  return id_err(IdentityErr::kUnrecognized);
}

std::string PeerIdentity::short_npub() const {
  std::string full = npub();
  std::string_view data = std::string_view(full).substr(5);
  return "npub1" + std::string(data.substr(0, 4)) + "..." + std::string(data.substr(data.size() - 4));
}

bool PeerIdentity::verify(std::span<const uint8_t> data, std::span<const uint8_t, 64> sig) const {
  return schnorr_verify(sig, sha256(data), xonly_);
}

// ---- Identity ----

Identity::Identity(SecretKey sk) : sk_(std::move(sk)), kp_(sk_), pub_(sk_.public_key()) {
  XOnlyKey x = to_xonly(pub_);
  node_addr_ = NodeAddr::from_xonly(x);
}

Identity Identity::generate() { return Identity(SecretKey::generate()); }

Identity Identity::from_secret(SecretKey sk) { return Identity(std::move(sk)); }

IdResult<Identity> Identity::from_secret_str(std::string_view s) {
  auto sk = decode_secret(s);
  if (!sk) return Err{sk.error()};
  return Identity(std::move(*sk));
}

SchnorrSig Identity::sign(std::span<const uint8_t> data) const { return kp_.sign32(sha256(data)); }

}  // namespace fips
