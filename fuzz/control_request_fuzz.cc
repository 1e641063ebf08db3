// Control requests: arbitrary bytes, fed in arbitrary chunks through the
// request-line reader and then the serde_json-compatible request and value
// parsers. No crash, bounded memory, and every accepted value survives a
// write/parse/write round trip with identical text.
#include <cstdlib>
#include <string>
#include <string_view>

#include "control/client.h"
#include "control/commands.h"
#include "control/json_in.h"
#include "control/json_out.h"
#include "control/request_reader.h"
#include "control/utf8.h"

using namespace fips;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t chunk = 1 + data[0] % 64;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  RequestReader reader;
  size_t off = 0;
  while (!reader.done() && off < input.size()) {
    const size_t n = std::min(chunk, input.size() - off);
    const size_t used = reader.feed(input.substr(off, n));
    if (used > n) std::abort();
    off += n;
  }
  if (!reader.done()) reader.feed_eof();
  if (reader.line().size() > RequestReader::kMaxRequestSize + 1) std::abort();

  if (reader.outcome() == RequestReader::Outcome::kLine) {
    auto req = parse_control_request(reader.line());
    if (req.ok()) {
      const nlohmann::json params = req->params_ptr() ? *req->params_ptr() : nlohmann::json();
      const std::string wire = build_command_request(req->command, params);
      if (wire.empty() || wire.back() != '\n') std::abort();
      (void)parse_connect_params(req->params_ptr());
      (void)parse_disconnect_params(req->params_ptr());
    } else if (req.error().empty()) {
      std::abort();
    }
  }

  // Any text as a Value (fipsctl's response parsing).
  auto v = parse_json_value(input);
  if (v.ok()) {
    const std::string text = json_compact(*v);
    auto again = parse_json_value(text);
    if (!again.ok()) std::abort();
    // Floats may move by one ulp through serde_json's fast parser, and invalid
    // UTF-8 (never seen in production: the socket reader and fipsctl reject
    // it first) is replaced by U+FFFD, which can reorder keys; other values
    // must reproduce their text exactly.
    const bool exact = utf8_valid(input) && text.find_first_of(".e") == std::string::npos;
    if (exact && json_compact(*again) != text) std::abort();
    (void)json_pretty(*v);
  }
  return 0;
}
