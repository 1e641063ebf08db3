// Crypto primitives: published test vectors (RFC 4231 HMAC, RFC 5869 HKDF,
// BIP-340 verify, BIP-173 bech32) and differential checks against OpenSSL.
#include <openssl/evp.h>

#include "crypto/aead.h"
#include "crypto/random.h"
#include "crypto/secp256k1.h"
#include "crypto/sha256.h"
#include "test_util.h"
#include "util/bech32.h"

namespace fips {
namespace {

using test::hex;
using test::unhex;

std::span<const uint8_t> str_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Crypto, Sha256Known) {
  EXPECT_EQ(hex(sha256(str_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(sha256_2(str_bytes("a"), str_bytes("bc"))), hex(sha256(str_bytes("abc"))));
}

TEST(Crypto, HmacRfc4231Case2) {
  EXPECT_EQ(hex(hmac_sha256(str_bytes("Jefe"), str_bytes("what do ya want "), str_bytes("for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, HkdfRfc5869Case1) {
  auto ikm = std::vector<uint8_t>(22, 0x0b);
  auto salt = unhex("000102030405060708090a0b0c");
  auto info = unhex("f0f1f2f3f4f5f6f7f8f9");
  std::vector<uint8_t> okm(42);
  ASSERT_TRUE(hkdf_sha256(salt, ikm, info, okm));
  EXPECT_EQ(hex(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(Crypto, HkdfTwoOutputsMatchesGeneralForm) {
  auto salt = unhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  auto ikm = unhex("deadbeef");
  Key32 a, b;
  hkdf_sha256_2(salt, ikm, a, b);
  std::vector<uint8_t> okm(64);
  ASSERT_TRUE(hkdf_sha256(salt, ikm, {}, okm));
  EXPECT_EQ(hex(a.span()) + hex(b.span()), hex(okm));
}

// Differential: our AeadKey vs a one-shot OpenSSL EVP encryption with the
// FIPS nonce layout (4 zero bytes || counter LE).
std::vector<uint8_t> evp_seal(const Key32& key, uint64_t counter, std::span<const uint8_t> aad,
                              std::span<const uint8_t> pt) {
  uint8_t nonce[12] = {0};
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<uint8_t>(counter >> (8 * i));
  std::vector<uint8_t> out(pt.size() + 16);
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  int len = 0;
  EVP_EncryptInit_ex(c, EVP_chacha20_poly1305(), nullptr, key.data(), nonce);
  if (!aad.empty()) EVP_EncryptUpdate(c, nullptr, &len, aad.data(), static_cast<int>(aad.size()));
  if (!pt.empty()) EVP_EncryptUpdate(c, out.data(), &len, pt.data(), static_cast<int>(pt.size()));
  EVP_EncryptFinal_ex(c, out.data() + pt.size(), &len);
  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out.data() + pt.size());
  EVP_CIPHER_CTX_free(c);
  return out;
}

TEST(Crypto, AeadMatchesOpenSslAndRejectsTampering) {
  Key32 key;
  random_bytes(key.mut_span());
  AeadKey k(key);
  for (size_t len : {0u, 1u, 63u, 64u, 1400u, 8192u}) {
    std::vector<uint8_t> pt(len), aad(16);
    random_bytes(pt);
    random_bytes(aad);
    const uint64_t counter = 0x0102030405060708ULL + len;
    std::vector<uint8_t> ct(len + 16);
    ASSERT_TRUE(k.seal(counter, aad, pt, ct.data()));
    EXPECT_EQ(ct, evp_seal(key, counter, aad, pt)) << len;
    std::vector<uint8_t> back(len);
    ASSERT_TRUE(k.open(counter, aad, ct, back.data()));
    EXPECT_EQ(back, pt);
    // In place.
    std::vector<uint8_t> buf = pt;
    buf.resize(len + 16);
    ASSERT_TRUE(k.seal(counter, aad, std::span<const uint8_t>(buf.data(), len), buf.data()));
    EXPECT_EQ(buf, ct);
    ASSERT_TRUE(k.open(counter, aad, buf, buf.data()));
    EXPECT_TRUE(std::equal(pt.begin(), pt.end(), buf.begin()));
    // Wrong counter, wrong AAD, flipped bit: refused.
    EXPECT_FALSE(k.open(counter + 1, aad, ct, back.data()));
    aad[0] ^= 1;
    EXPECT_FALSE(k.open(counter, aad, ct, back.data()));
    aad[0] ^= 1;
    ct[ct.size() / 2] ^= 0x80;
    EXPECT_FALSE(k.open(counter, aad, ct, back.data()));
  }
  AeadKey none;
  uint8_t out[32];
  EXPECT_FALSE(none.seal(0, {}, std::span<const uint8_t>(out, 8), out));
  const uint8_t short_ct[15] = {};
  EXPECT_FALSE(k.open(0, {}, short_ct, out));
}

TEST(Crypto, EcdhIsParityIndependentAndSymmetric) {
  for (int i = 0; i < 20; ++i) {
    SecretKey a = SecretKey::generate(), b = SecretKey::generate();
    CompressedKey pa = a.public_key(), pb = b.public_key();
    Key32 ab, ba, ab_even;
    ASSERT_TRUE(ecdh_x(a, pb, ab));
    ASSERT_TRUE(ecdh_x(b, pa, ba));
    ASSERT_TRUE(ecdh_x(a, lift_x_even(to_xonly(pb)), ab_even));
    EXPECT_TRUE(ab.ct_eq(ba));
    EXPECT_TRUE(ab.ct_eq(ab_even));
  }
  SecretKey a = SecretKey::generate();
  CompressedKey bad{};
  bad[0] = 0x04;
  Key32 out;
  EXPECT_FALSE(ecdh_x(a, bad, out));
  bad[0] = 0x02;  // x = 0 is not on the curve
  EXPECT_FALSE(ecdh_x(a, bad, out));
}

TEST(Crypto, SecretKeyRange) {
  std::array<uint8_t, 32> zero{};
  EXPECT_FALSE(SecretKey::from_bytes(zero).has_value());
  auto order = test::unhex_array<32>("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  EXPECT_FALSE(SecretKey::from_bytes(order).has_value());
  order[31] = 0x40;  // n - 1
  EXPECT_TRUE(SecretKey::from_bytes(order).has_value());
}

TEST(Crypto, SchnorrBip340Vector0Verifies) {
  // BIP-340 test vector 0 (secret key 3, aux 0, message 0).
  auto pub = test::unhex_array<32>("f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9");
  auto sig = test::unhex_array<64>(
      "e907831f80848d1069a5371b402410364bdf1c5f8307b0084c55f1ce2dca8215"
      "25f66a4a85ea8b71e482a74f382d2ce5ebeee8fdb2172f477df4900d310536c0");
  Digest32 msg{};
  EXPECT_TRUE(schnorr_verify(sig, msg, pub));
  sig[10] ^= 1;
  EXPECT_FALSE(schnorr_verify(sig, msg, pub));
}

TEST(Crypto, SchnorrSignVerifyRoundTrip) {
  SecretKey sk = SecretKey::generate();
  KeyPair kp(sk);
  Digest32 msg = sha256(str_bytes("tree announce"));
  SchnorrSig sig = kp.sign32(msg);
  XOnlyKey x = to_xonly(sk.public_key());
  EXPECT_TRUE(schnorr_verify(sig, msg, x));
  msg[0] ^= 1;
  EXPECT_FALSE(schnorr_verify(sig, msg, x));
}

TEST(Bech32, Bip173Valid) {
  for (const char* s : {"A12UEL5L", "a12uel5l", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
                        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w"}) {
    auto d = bech32_decode(s);
    EXPECT_TRUE(d.ok()) << s;
  }
  auto d = bech32_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->hrp, "abcdef");
  EXPECT_EQ(hex(d->data), "00443214c74254b635cf84653a56d7c675be77df");
}

TEST(Bech32, Bip173InvalidWithPreciseErrors) {
  EXPECT_EQ(bech32_decode("pzry9x0s0muk").error(), Bech32Err::kNoSeparator);
  EXPECT_EQ(bech32_decode("1pzry9x0s0muk").error(), Bech32Err::kNoSeparator);
  EXPECT_EQ(bech32_decode("x1b4n0q5v").error(), Bech32Err::kBadChar);
  EXPECT_EQ(bech32_decode("li1dgmt3").error(), Bech32Err::kBadLength);
  EXPECT_EQ(bech32_decode("A1G7SGD8").error(), Bech32Err::kBadChecksum);
  EXPECT_EQ(bech32_decode("a12UEL5L").error(), Bech32Err::kMixedCase);
  EXPECT_EQ(bech32_decode(std::string("\x7f") + "1axkwrx").error(), Bech32Err::kBadChar);
  EXPECT_EQ(bech32_decode(std::string(91, 'a')).error(), Bech32Err::kBadLength);
}

RC_GTEST_PROP(Bech32Prop, RoundTrip, ()) {
  auto data = *rc::gen::container<std::vector<uint8_t>>(*rc::gen::inRange<size_t>(0, 40),
                                                         rc::gen::arbitrary<uint8_t>());
  std::string s = bech32_encode("npub", data);
  auto d = bech32_decode(s);
  RC_ASSERT(d.ok());
  RC_ASSERT(d->hrp == "npub");
  RC_ASSERT(d->data == data);
}

}  // namespace
}  // namespace fips
