// Bounds-checked little-endian Reader and Writer over caller-owned memory.
// Not here: message layouts (proto/*/wire.h) and any allocation policy.
//
// Reader is "sticky": the first failed read records an error, later reads
// return zeros/empty spans, and the decoder checks ok() (or finish()) once.
// Decoders take a Reader by value or construct their own over a span, so a
// failed decode never leaves a caller's cursor half-consumed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace fips {

using ByteSpan = std::span<const uint8_t>;
using MutByteSpan = std::span<uint8_t>;

// Why a decoder rejected its input. Stable names: they appear in counters.
enum class WireErr : uint8_t {
  kTruncated = 1,     // fewer bytes than the layout needs
  kTrailing,          // bytes left over after the layout ended
  kBadVersion,        // version nibble/byte we do not speak
  kBadPhase,          // phase nibble unknown or not the one expected here
  kBadType,           // msg_type byte unknown or not the one expected here
  kReservedBits,      // a reserved field or flag bit is non-zero
  kBadLength,         // a length field disagrees with the bytes present
  kBadValue,          // a field holds a value the spec forbids
  kTooLarge,          // a count/length exceeds the spec's limit
  kNoSpace,           // encoder: destination buffer too small
};

std::string_view wire_err_name(WireErr e);

struct WireError {
  WireErr code = WireErr::kTruncated;
  const char* field = "";  // static string naming the field, never owned
  size_t expected = 0;     // bytes needed / limit, when meaningful
  size_t got = 0;          // bytes present / value seen, when meaningful
};

template <class T>
using WireResult = Result<T, WireError>;
using WireStatus = Result<void, WireError>;

inline Err<WireError> wire_err(WireErr code, const char* field, size_t expected = 0,
                               size_t got = 0) {
  return Err<WireError>{WireError{code, field, expected, got}};
}

// Human-readable one-liner, for logs and test failure messages (allocates).
std::string describe(const WireError& e);

inline uint16_t load_u16le(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t load_u32le(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline uint64_t load_u64le(const uint8_t* p) {
  return static_cast<uint64_t>(load_u32le(p)) | (static_cast<uint64_t>(load_u32le(p + 4)) << 32);
}
inline void store_u16le(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void store_u32le(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void store_u64le(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

class Reader {
 public:
  explicit Reader(ByteSpan buf) : buf_(buf) {}

  [[nodiscard]] bool ok() const { return !failed_; }
  [[nodiscard]] size_t pos() const { return pos_; }
  [[nodiscard]] size_t remaining() const { return failed_ ? 0 : buf_.size() - pos_; }
  [[nodiscard]] size_t size() const { return buf_.size(); }
  [[nodiscard]] ByteSpan rest() const { return failed_ ? ByteSpan{} : buf_.subspan(pos_); }
  [[nodiscard]] const WireError& error() const { return err_; }

  uint8_t u8() {
    if (!need(1, "u8")) return 0;
    return buf_[pos_++];
  }
  uint16_t u16le() {
    if (!need(2, "u16")) return 0;
    uint16_t v = load_u16le(buf_.data() + pos_);
    pos_ += 2;
    return v;
  }
  uint32_t u32le() {
    if (!need(4, "u32")) return 0;
    uint32_t v = load_u32le(buf_.data() + pos_);
    pos_ += 4;
    return v;
  }
  uint64_t u64le() {
    if (!need(8, "u64")) return 0;
    uint64_t v = load_u64le(buf_.data() + pos_);
    pos_ += 8;
    return v;
  }
  // A view of the next n bytes (empty on failure).
  ByteSpan bytes(size_t n, const char* field = "bytes") {
    if (!need(n, field)) return {};
    ByteSpan s = buf_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  template <size_t N>
  std::array<uint8_t, N> array(const char* field = "array") {
    std::array<uint8_t, N> a{};
    if (!need(N, field)) return a;
    std::memcpy(a.data(), buf_.data() + pos_, N);
    pos_ += N;
    return a;
  }
  // Everything that is left (possibly empty).
  ByteSpan take_rest() {
    ByteSpan s = rest();
    pos_ = buf_.size();
    return s;
  }
  void skip(size_t n, const char* field = "skip") {
    if (need(n, field)) pos_ += n;
  }

  // Record a semantic failure (first one wins).
  void fail(WireErr code, const char* field, size_t expected = 0, size_t got = 0) {
    if (failed_) return;
    failed_ = true;
    err_ = WireError{code, field, expected, got};
  }

  // ok() and every byte consumed.
  [[nodiscard]] WireStatus finish() const {
    if (failed_) return Err<WireError>{err_};
    if (pos_ != buf_.size()) return wire_err(WireErr::kTrailing, "trailing", pos_, buf_.size());
    return {};
  }
  // ok() only (trailing bytes allowed by the caller's layout).
  [[nodiscard]] WireStatus status() const {
    if (failed_) return Err<WireError>{err_};
    return {};
  }

 private:
  bool need(size_t n, const char* field) {
    if (failed_) return false;
    if (n > buf_.size() - pos_) {
      fail(WireErr::kTruncated, field, pos_ + n, buf_.size());
      return false;
    }
    return true;
  }

  ByteSpan buf_;
  size_t pos_ = 0;
  bool failed_ = false;
  WireError err_{};
};

// Writes into caller-supplied memory; never allocates. Overflow is sticky and
// reported by ok()/status(); nothing past the end is ever written.
class Writer {
 public:
  explicit Writer(MutByteSpan buf) : buf_(buf) {}

  [[nodiscard]] bool ok() const { return !overflow_; }
  [[nodiscard]] size_t pos() const { return pos_; }
  [[nodiscard]] size_t remaining() const { return buf_.size() - pos_; }
  [[nodiscard]] ByteSpan written() const { return ByteSpan(buf_.data(), pos_); }
  [[nodiscard]] WireStatus status() const {
    if (overflow_) return wire_err(WireErr::kNoSpace, "writer", need_, buf_.size());
    return {};
  }

  void u8(uint8_t v) {
    if (uint8_t* p = room(1)) p[0] = v;
  }
  void u16le(uint16_t v) {
    if (uint8_t* p = room(2)) store_u16le(p, v);
  }
  void u32le(uint32_t v) {
    if (uint8_t* p = room(4)) store_u32le(p, v);
  }
  void u64le(uint64_t v) {
    if (uint8_t* p = room(8)) store_u64le(p, v);
  }
  void bytes(ByteSpan b) {
    if (b.empty()) return;
    if (uint8_t* p = room(b.size())) std::memcpy(p, b.data(), b.size());
  }
  void zeros(size_t n) {
    if (uint8_t* p = room(n)) std::memset(p, 0, n);
  }
  // Reserve n bytes to fill later (e.g. a length field); nullptr on overflow.
  uint8_t* reserve(size_t n) { return room(n); }

 private:
  uint8_t* room(size_t n) {
    if (overflow_) return nullptr;
    if (n > buf_.size() - pos_) {
      overflow_ = true;
      need_ = pos_ + n;
      return nullptr;
    }
    uint8_t* p = buf_.data() + pos_;
    pos_ += n;
    return p;
  }
  MutByteSpan buf_;
  size_t pos_ = 0;
  size_t need_ = 0;
  bool overflow_ = false;
};

// Convenience for control-plane code and tests: encode with an encoder that
// takes a Writer&, into a vector of exactly the encoded size.
template <class EncodeFn>
std::vector<uint8_t> encode_to_vector(size_t capacity, EncodeFn&& fn) {
  std::vector<uint8_t> out(capacity);
  Writer w{MutByteSpan(out)};
  fn(w);
  if (!w.ok()) return {};
  out.resize(w.pos());
  return out;
}

}  // namespace fips
