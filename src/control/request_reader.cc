#include "control/request_reader.h"

namespace fips {

size_t RequestReader::feed(std::string_view data) {
  size_t used = 0;
  while (!ended_ && used < data.size()) {
    const char c = data[used++];
    ++total_;
    utf8_.feed(static_cast<uint8_t>(c));
    if (buf_.size() <= kMaxRequestSize) buf_ += c;
    if (c == '\n') {
      ended_ = true;
    } else if (total_ >= kHardCap) {
      ended_ = true;
      capped_ = true;
    }
  }
  return used;
}

void RequestReader::feed_eof() {
  ended_ = true;
}

RequestReader::Outcome RequestReader::outcome() const {
  if (!ended_) return Outcome::kPending;
  if (total_ == 0) return Outcome::kEmpty;
  if (capped_ && utf8_.ok()) return Outcome::kTooLarge;
  // read_line validates UTF-8 before the caller checks the size.
  if (!utf8_.complete()) return Outcome::kInvalidUtf8;
  if (total_ > kMaxRequestSize) return Outcome::kTooLarge;
  return Outcome::kLine;
}

const char* RequestReader::message(Outcome o) {
  switch (o) {
    case Outcome::kEmpty:
      return "empty request";
    case Outcome::kTooLarge:
      return "read error: request too large";
    case Outcome::kInvalidUtf8:
      return "read error: stream did not contain valid UTF-8";
    case Outcome::kPending:
    case Outcome::kLine:
      break;
  }
  return "";
}

}  // namespace fips
