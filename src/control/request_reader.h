// Reads one control request line with the reference's semantics and limits,
// in bounded memory: bytes up to the first '\n' (or EOF) form the line; the
// line must be valid UTF-8; more than 4096 bytes (newline included) is "too
// large". Like the reference, a long line is read to its end before it is
// judged (so the client is not cut off mid-write), but at most kHardCap
// bytes are ever consumed and only the first 4097 are kept.
// Not here: sockets and timeouts (control/server.h), JSON (control/json_in.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "control/utf8.h"

namespace fips {

class RequestReader {
 public:
  static constexpr size_t kMaxRequestSize = 4096;
  static constexpr size_t kHardCap = 64 * 1024;

  enum class Outcome {
    kPending,      // need more input
    kLine,         // line() holds the request text, '\n' included if there was one
    kEmpty,        // EOF before any byte: "empty request"
    kTooLarge,     // "read error: request too large"
    kInvalidUtf8,  // "read error: stream did not contain valid UTF-8"
  };

  // Consumes bytes up to and including the first '\n'; returns how many were
  // consumed (the rest of `data`, after the line, is ignored by the caller).
  size_t feed(std::string_view data);
  void feed_eof();
  [[nodiscard]] Outcome outcome() const;
  [[nodiscard]] bool done() const { return outcome() != Outcome::kPending; }
  [[nodiscard]] const std::string& line() const { return buf_; }
  [[nodiscard]] size_t total() const { return total_; }

  // The error message for a terminal outcome other than kLine.
  static const char* message(Outcome o);

 private:
  std::string buf_;
  size_t total_ = 0;
  bool ended_ = false;   // newline seen, EOF, or hard cap reached
  bool capped_ = false;  // stopped at kHardCap without seeing the end
  Utf8Stream utf8_;
};

}  // namespace fips
