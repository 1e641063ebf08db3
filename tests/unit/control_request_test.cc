// Control requests: serde_json's error texts for malformed requests, the
// request-line reader's limits, connect/disconnect parameter validation with
// the reference's npub error texts, and fipsctl's client-side helpers.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "control/client.h"
#include "control/commands.h"
#include "control/json_in.h"
#include "control/json_out.h"
#include "control/npub_compat.h"
#include "control/request_reader.h"
#include "control_test_util.h"
#include "crypto/secp256k1.h"
#include "util/bech32.h"

namespace fips {
namespace {

using nlohmann::json;

std::string request_error(std::string_view line) {
  auto r = parse_control_request(line);
  return r.ok() ? std::string("<ok>") : r.error();
}

// The table from docs/spec/control.md §1 plus more cases derived from serde_json's
// deserializer (which byte is peeked or consumed before each error).
TEST(ControlRequest, InvalidRequestTextsMatchSerdeJson) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "EOF while parsing a value at line 1 column 0"},
      {"\n", "EOF while parsing a value at line 1 column 0"},
      {"hello", "expected value at line 1 column 1"},
      {R"({"not_command":1})", "missing field `command` at line 1 column 17"},
      {R"({"command": 5})", "invalid type: integer `5`, expected a string at line 1 column 13"},
      {R"({"command":"show_status"} x)", "trailing characters at line 1 column 27"},
      {R"({"command":"show_status")", "EOF while parsing an object at line 1 column 24"},
      {R"({"command":null})", "invalid type: null, expected a string at line 1 column 15"},
      {R"({"command":true})",
       "invalid type: boolean `true`, expected a string at line 1 column 15"},
      {R"({"command":-1})", "invalid type: integer `-1`, expected a string at line 1 column 13"},
      {R"({"command":1.5})",
       "invalid type: floating point `1.5`, expected a string at line 1 column 14"},
      {R"({"command":[1]})", "invalid type: sequence, expected a string at line 1 column 11"},
      {R"({"command":{}})", "invalid type: map, expected a string at line 1 column 11"},
      {R"({"command":})", "expected value at line 1 column 12"},
      {R"({"command":"a","command":"b"})", "duplicate field `command` at line 1 column 24"},
      {R"({"params":1,"params":2})", "duplicate field `params` at line 1 column 20"},
      {R"({"command":"x",})", "trailing comma at line 1 column 16"},
      {R"({"command":"x","params":)", "EOF while parsing a value at line 1 column 24"},
      {R"({"command":"x","y":[1,)", "EOF while parsing a value at line 1 column 22"},
      {R"({"command":"x","y":01})", "invalid number at line 1 column 21"},
      {"{\"command\":\"a\tb\"}",
       "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 14"},
      {"5", "invalid type: integer `5`, expected struct Request at line 1 column 1"},
      {"\"x\"", "invalid type: string \"x\", expected struct Request at line 1 column 3"},
      {"null", "invalid type: null, expected struct Request at line 1 column 4"},
      {"[]", "invalid length 0, expected struct Request with 2 elements at line 1 column 2"},
      {R"(["a",1,2])", "trailing characters at line 1 column 8"},
      {"{}", "missing field `command` at line 1 column 2"},
  };
  for (const auto& [line, want] : cases) EXPECT_EQ(request_error(line), want) << line;
}

TEST(ControlRequest, AcceptedForms) {
  auto r = parse_control_request("{\"command\":\"show_status\"}\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, "show_status");
  EXPECT_EQ(r->params_ptr(), nullptr);

  r = parse_control_request(R"({"params":null,"command":"x"})");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->params.has_value());  // null params == absent

  r = parse_control_request(
      R"( {"extra":{"a":[1,{"b":"\u0041"}],"c":-1.5e3},"command":"c","params":[1,"x"]} )");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, "c");
  ASSERT_NE(r->params_ptr(), nullptr);
  EXPECT_EQ(json_compact(*r->params_ptr()), R"([1,"x"])");

  r = parse_control_request(R"(["show_peers"])");  // serde accepts a struct as a sequence
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, "show_peers");

  r = parse_control_request(R"({"command":"show\u005fstatus"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, "show_status");

  // Rust's str::trim removes Unicode white space (NBSP, ideographic space).
  r = parse_control_request("\xc2\xa0{\"command\":\"x\"}\xe3\x80\x80\r\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, "x");
}

TEST(ControlRequest, ParamsNestingLimit) {
  const std::string prefix = R"({"command":"x","params":)";
  // The request object itself is one level; params may nest 126 more.
  auto ok = parse_control_request(prefix + std::string(126, '[') + std::string(126, ']') + "}");
  EXPECT_TRUE(ok.ok());
  auto bad = parse_control_request(prefix + std::string(127, '[') + std::string(127, ']') + "}");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "recursion limit exceeded at line 1 column 151");
  // Ignored fields have no depth limit in serde_json (skipped iteratively).
  auto ignored = parse_control_request(R"({"command":"x","y":)" + std::string(1000, '[') +
                                       std::string(1000, ']') + "}");
  EXPECT_TRUE(ignored.ok());
}

TEST(ControlRequestReader, Outcomes) {
  using O = RequestReader::Outcome;
  {
    RequestReader r;
    r.feed_eof();
    EXPECT_EQ(r.outcome(), O::kEmpty);
    EXPECT_STREQ(RequestReader::message(r.outcome()), "empty request");
  }
  {
    RequestReader r;
    EXPECT_EQ(r.feed("{\"command\":\"x\"}\nextra"), 16u);  // stops after the newline
    EXPECT_EQ(r.outcome(), O::kLine);
    EXPECT_EQ(r.line(), "{\"command\":\"x\"}\n");
  }
  {
    RequestReader r;  // no newline, then EOF: accepted
    r.feed("{\"command\":");
    EXPECT_EQ(r.outcome(), O::kPending);
    r.feed("\"x\"}");
    r.feed_eof();
    EXPECT_EQ(r.outcome(), O::kLine);
  }
  {
    RequestReader r;  // exactly 4096 bytes including the newline: fine
    r.feed(std::string(4095, ' ') + "\n");
    EXPECT_EQ(r.outcome(), O::kLine);
  }
  {
    RequestReader r;  // 4097: too large, judged at the end of the line
    r.feed(std::string(4096, ' '));
    EXPECT_EQ(r.outcome(), O::kPending);
    r.feed("\n");
    EXPECT_EQ(r.outcome(), O::kTooLarge);
    EXPECT_STREQ(RequestReader::message(r.outcome()), "read error: request too large");
    EXPECT_LE(r.line().size(), RequestReader::kMaxRequestSize + 1);
  }
  {
    RequestReader r;  // invalid UTF-8 wins over the size check (read_line order)
    r.feed(std::string(5000, 'a') + "\xff\n");
    EXPECT_EQ(r.outcome(), O::kInvalidUtf8);
  }
  {
    RequestReader r;  // a sequence cut by the newline is invalid
    r.feed("\xe2\x82\n");
    EXPECT_EQ(r.outcome(), O::kInvalidUtf8);
  }
  {
    RequestReader r;  // a sequence cut by EOF is invalid
    r.feed("\xe2\x82");
    r.feed_eof();
    EXPECT_EQ(r.outcome(), O::kInvalidUtf8);
  }
  {
    RequestReader r;  // endless line: stops at the hard cap
    const std::string chunk(1000, 'x');
    size_t fed = 0;
    while (!r.done() && fed < 10 * RequestReader::kHardCap) fed += r.feed(chunk);
    EXPECT_EQ(r.outcome(), O::kTooLarge);
    EXPECT_EQ(r.total(), RequestReader::kHardCap);
  }
}

// ---- connect / disconnect parameters ----

std::string npub_of_byte(uint8_t b) {
  Identity id = Identity::from_secret(*SecretKey::from_bytes(
      std::array<uint8_t, 32>{b, b, b, b, b, b, b, b, b, b, b, b, b, b, b, b,
                              b, b, b, b, b, b, b, b, b, b, b, b, b, b, b, b}));
  return id.npub();
}

// bech32m encoding (BIP-350) for a fidelity check: the reference accepts it.
std::string bech32m_encode(std::string_view hrp, std::span<const uint8_t> data) {
  const std::string plain = bech32_encode(hrp, data);
  static constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  std::vector<uint8_t> v;
  for (char c : hrp) v.push_back(static_cast<uint8_t>(static_cast<uint8_t>(c) >> 5));
  v.push_back(0);
  for (char c : hrp) v.push_back(static_cast<uint8_t>(static_cast<uint8_t>(c) & 31));
  const std::string body = plain.substr(hrp.size() + 1, plain.size() - hrp.size() - 1 - 6);
  for (char c : body) v.push_back(static_cast<uint8_t>(std::string_view(kCharset).find(c)));
  for (int i = 0; i < 6; ++i) v.push_back(0);
  uint32_t chk = 1;
  for (uint8_t x : v) {
    const uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ x;
    static constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                         0x2a1462b3};
    for (int i = 0; i < 5; ++i)
      if ((top >> i) & 1) chk ^= kGen[i];
  }
  chk ^= 0x2bc830a3;
  std::string out = std::string(hrp) + "1" + body;
  for (int i = 0; i < 6; ++i) out += kCharset[(chk >> (5 * (5 - i))) & 31];
  return out;
}

TEST(ControlCommands, NpubErrorTextsMatchReference) {
  const std::string good = npub_of_byte(0x42);
  ASSERT_TRUE(decode_npub_compat(good).ok());
  EXPECT_EQ(decode_npub_compat(good)->npub(), good);

  EXPECT_EQ(decode_npub_compat("npub1nonsense").error(), "bech32 decoding error: parsing failed");
  EXPECT_EQ(decode_npub_compat("bogus").error(), "bech32 decoding error: parsing failed");
  EXPECT_EQ(decode_npub_compat("").error(), "bech32 decoding error: parsing failed");
  std::string mixed = good;
  mixed[6] = static_cast<char>(std::toupper(static_cast<unsigned char>(mixed[6])));
  if (mixed != good) {
    EXPECT_EQ(decode_npub_compat(mixed).error(), "bech32 decoding error: parsing failed");
  }

  std::string bad_sum = good;
  bad_sum.back() = bad_sum.back() == 'q' ? 'p' : 'q';
  EXPECT_EQ(decode_npub_compat(bad_sum).error(),
            "bech32 decoding error: no valid bech32 or bech32m checksum");
  EXPECT_EQ(decode_npub_compat("npub1qqq").error(),
            "bech32 decoding error: no valid bech32 or bech32m checksum");

  const std::array<uint8_t, 32> zeros{};
  EXPECT_EQ(decode_npub_compat(bech32_encode("nsec", zeros)).error(),
            "invalid npub: expected 'npub' prefix, got 'nsec'");
  const std::array<uint8_t, 20> short_key{};
  EXPECT_EQ(decode_npub_compat(bech32_encode("npub", short_key)).error(),
            "invalid npub: expected 32 bytes, got 20");

  // An x coordinate that is not on the curve.
  bool found = false;
  for (uint8_t b = 1; b < 50 && !found; ++b) {
    std::array<uint8_t, 32> x{};
    x[31] = b;
    if (xonly_valid(x)) continue;
    found = true;
    EXPECT_EQ(decode_npub_compat(bech32_encode("npub", x)).error(),
              "invalid secret key: malformed public key");
  }
  EXPECT_TRUE(found);

  // Accepted like bech32 0.11 does: upper case, and a bech32m checksum.
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(decode_npub_compat(upper).ok());
  auto peer = decode_npub_compat(good);
  const std::string m = bech32m_encode("npub", peer->xonly());
  ASSERT_NE(m, good);
  ASSERT_TRUE(decode_npub_compat(m).ok());
  EXPECT_EQ(decode_npub_compat(m)->npub(), good);
}

TEST(ControlCommands, ConnectParamsInReferenceOrder) {
  const std::string npub = npub_of_byte(0x42);
  auto err = [](const json* p) {
    auto r = parse_connect_params(p);
    return r.ok() ? std::string("<ok>") : r.error();
  };
  EXPECT_EQ(err(nullptr), "missing params for connect");
  json null_params = nullptr;
  EXPECT_EQ(err(&null_params), "missing params for connect");
  json p = json::object();
  EXPECT_EQ(err(&p), "missing 'npub' parameter");
  p = json::array({"npub"});
  EXPECT_EQ(err(&p), "missing 'npub' parameter");
  p = json{{"npub", 5}, {"address", "x"}, {"transport", "udp"}};
  EXPECT_EQ(err(&p), "missing 'npub' parameter");
  p = json{{"npub", "npub1nonsense"}};
  EXPECT_EQ(err(&p), "missing 'address' parameter");
  p["address"] = "192.0.2.50:2121";
  EXPECT_EQ(err(&p), "missing 'transport' parameter");
  p["transport"] = "udp";
  EXPECT_EQ(err(&p), "invalid peer npub 'npub1nonsense': bech32 decoding error: parsing failed");
  p["npub"] = npub;
  auto ok = parse_connect_params(&p);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->peer.npub(), npub);
  EXPECT_EQ(json_compact(connect_result(*ok, true)),
            R"({"address":"192.0.2.50:2121","npub":")" + npub +
                R"(","refreshed":true,"transport":"udp"})");
}

TEST(ControlCommands, DisconnectParams) {
  auto err = [](const json* p) {
    auto r = parse_disconnect_params(p);
    return r.ok() ? std::string("<ok>") : r.error();
  };
  EXPECT_EQ(err(nullptr), "missing params for disconnect");
  json p = json{{"npub", nullptr}};
  EXPECT_EQ(err(&p), "missing 'npub' parameter");
  p["npub"] = "bogus";
  EXPECT_EQ(err(&p), "invalid npub 'bogus': bech32 decoding error: parsing failed");
  p["npub"] = npub_of_byte(0x42);
  EXPECT_TRUE(parse_disconnect_params(&p).ok());
}

// The request lines fipsctl sends and the replies of the fixture scenario.
TEST(ControlCommands, FixtureRequestsAndReplies) {
  const auto lines = test::control_fixture_lines("requests.fipsctl.jsonl");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(build_query_request("show_status"), lines[0] + "\n");
  EXPECT_EQ(build_query_request("show_peers"), lines[1] + "\n");

  auto connect_req = parse_control_request(lines[2]);
  ASSERT_TRUE(connect_req.ok());
  EXPECT_EQ(build_command_request("connect", *connect_req->params_ptr()), lines[2] + "\n");
  auto cp = parse_connect_params(connect_req->params_ptr());
  ASSERT_TRUE(cp.ok()) << cp.error();
  EXPECT_EQ(ok_response_line(connect_result(*cp, false)),
            test::control_fixture("connect.wire.json"));

  auto disc_req = parse_control_request(lines[3]);
  ASSERT_TRUE(disc_req.ok());
  const json params{{"npub", (*disc_req->params_ptr())["npub"]}};
  EXPECT_EQ(build_command_request("disconnect", params), lines[3] + "\n");
  auto dp = parse_disconnect_params(disc_req->params_ptr());
  ASSERT_TRUE(dp.ok());
  EXPECT_EQ(ok_response_line(disconnect_result(dp->npub)),
            test::control_fixture("disconnect.wire.json"));

  // The error envelopes whose text comes from these helpers.
  const auto errors = test::control_fixture_lines("errors.wire.jsonl");
  auto has = [&](const std::string& msg) {
    const std::string line = error_response_line(msg);
    for (const auto& e : errors)
      if (e + "\n" == line) return true;
    return false;
  };
  EXPECT_TRUE(has(unknown_command_message("show_foo")));
  EXPECT_TRUE(has(connect_no_transport_message(cp->npub)));
  EXPECT_TRUE(has(
      peer_not_found_message("npub1j6hfckec4h29yyj4t70dqw0jc0e0hfnwnmxn6akjsartptfa7kjscwmx7x")));
  EXPECT_TRUE(has(RequestReader::message(RequestReader::Outcome::kEmpty)));
  EXPECT_TRUE(has(RequestReader::message(RequestReader::Outcome::kTooLarge)));
  EXPECT_TRUE(has(RequestReader::message(RequestReader::Outcome::kInvalidUtf8)));
  EXPECT_TRUE(has("invalid request: " + request_error(R"({"command": 5})")));
}

TEST(ControlCommands, SnapshotCommandNames) {
  EXPECT_TRUE(is_snapshot_command("show_status"));
  EXPECT_TRUE(is_snapshot_command("show_stats_history_all_peers"));
  EXPECT_FALSE(is_snapshot_command("connect"));
  EXPECT_FALSE(is_snapshot_command("show_foo"));
}

// ---- fipsctl helpers ----

TEST(ControlClient, MeshAddressCheck) {
  for (const char* a : {"fd9d:abcd::1", "fd00::", "[fd9d:abcd::1]:2121", "[fd00::1]:8443",
                        "fd9d:abcd::1:2121", "[fd00::1%3]:2121", "[[fd00::1]]:80"})
    EXPECT_TRUE(is_fips_mesh_address(a)) << a;
  for (const char* a :
       {"fc00::1", "::1", "2001:db8::1", "[2001:db8::1]:2121", "192.0.2.1:2121",
        "peer.example.com:2121", "coinos.pro:2121", "", "fd12::1%5", "[fd00::1]:99999x"})
    EXPECT_FALSE(is_fips_mesh_address(a)) << a;
  EXPECT_EQ(*check_connect_address("[fd00::1]:2121", "tcp"),
            "'[fd00::1]:2121' is a FIPS mesh address (fd00::/8), not a reachable tcp endpoint.\n"
            "Provide the peer's routable IP/hostname and port (e.g., '192.0.2.1:2121' or "
            "'peer.example.com:2121').");
  EXPECT_FALSE(check_connect_address("fd00::1", "tor").has_value());
  EXPECT_FALSE(check_connect_address("192.0.2.1:2121", "udp").has_value());
}

TEST(ControlClient, RenderResponse) {
  auto ok = render_control_response(
      parse_json_value(test::control_fixture("show_links.wire.json")).value());
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.out, test::control_fixture("show_links.fipsctl.txt"));
  EXPECT_TRUE(ok.err.empty());

  auto err = render_control_response(json{{"status", "error"}, {"message", "peer not found: x"}});
  EXPECT_EQ(err.exit_code, 1);
  EXPECT_EQ(err.err, "error: peer not found: x\n");
  EXPECT_TRUE(err.out.empty());
  EXPECT_EQ(render_control_response(json{{"status", "error"}}).err, "error: unknown error\n");
  // No data: the whole response, pretty.
  EXPECT_EQ(render_control_response(json{{"status", "ok"}}).out, "{\n  \"status\": \"ok\"\n}\n");
  EXPECT_EQ(render_control_response(json::array()).out, "[]\n");
}

TEST(ControlClient, HostsLookup) {
  const std::string path = ::testing::TempDir() + "fips_hosts_test";
  const std::string npub = npub_of_byte(0x42);
  {
    std::ofstream f(path);
    f << "# comment\n\n  Gateway   " << npub << "  \n"
      << "bad.name " << npub << "\n"
      << "npub1host " << npub << "\n"
      << "three fields " << npub << "\n"
      << "badnpub npub1nonsense\n";
  }
  EXPECT_EQ(lookup_hosts_npub(path, "gateway"), npub);
  EXPECT_EQ(lookup_hosts_npub(path, "GATEWAY"), npub);
  EXPECT_FALSE(lookup_hosts_npub(path, "bad.name").has_value());
  EXPECT_FALSE(lookup_hosts_npub(path, "npub1host").has_value());
  EXPECT_FALSE(lookup_hosts_npub(path, "three").has_value());
  EXPECT_FALSE(lookup_hosts_npub(path, "badnpub").has_value());
  EXPECT_FALSE(lookup_hosts_npub(path + ".missing", "gateway").has_value());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace fips
