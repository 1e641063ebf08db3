// validate_config(): one test per rule, each checking the message names the
// key (and, where the reference has one, carries its text); plus the log
// level rules.
#include <algorithm>

#include "config/load.h"
#include "identity/identity.h"
#include "test_util.h"

namespace fips {
namespace {

const char* kNpubA = "npub1rwzv24nmzfjypx2a8m264ws9vht3uxp5vpypnluuzl67n4waq78suk0wul";

Config parse_ok(const std::string& yaml) {
  auto r = parse_config_string(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error()) << "\n--- yaml:\n" << yaml;
  return r.ok() ? *r : Config{};
}

std::string invalid(const std::string& yaml) {
  Config c = parse_ok(yaml);
  auto v = validate_config(c);
  EXPECT_FALSE(v.ok()) << "expected a validation error for:\n" << yaml;
  return v.ok() ? std::string() : v.error();
}

Config valid(const std::string& yaml) {
  Config c = parse_ok(yaml);
  auto v = validate_config(c);
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error()) << "\n--- yaml:\n" << yaml;
  return c;
}

bool any_contains(const std::vector<std::string>& v, const std::string& s) {
  return std::any_of(v.begin(), v.end(),
                     [&](const std::string& x) { return x.find(s) != std::string::npos; });
}

#define EXPECT_STARTS(str, prefix) \
  EXPECT_TRUE(std::string(str).starts_with(prefix)) << "got: " << (str)
#define EXPECT_HAS(str, part) \
  EXPECT_NE(std::string(str).find(part), std::string::npos) << "got: " << (str)

std::string peer(const std::string& transport, const std::string& addr,
                 const std::string& npub = kNpubA) {
  return "peers:\n  - npub: " + npub + "\n    addresses:\n      - transport: " + transport +
         "\n        addr: \"" + addr + "\"\n";
}

TEST(ConfigValidate, RekeyAfterMessages) {
  EXPECT_EQ(invalid("node: {rekey: {after_messages: 0}}"),
            "node.rekey.after_messages: must be at least 1; 0 fires the message-count trigger on "
            "every poll instead of disabling it. Use a very large value to effectively disable "
            "the message-count trigger.");
  valid("node: {rekey: {after_messages: 1}}");
}

TEST(ConfigValidate, RekeyAfterSecs) {
  std::string e = invalid("node: {rekey: {after_secs: 15, enabled: false}}");
  EXPECT_STARTS(e,
                "node.rekey.after_secs: is 15, but must be greater than the per-session "
                "rekey jitter of 15s; each session offsets the interval by a random value in "
                "[-15, +15] seconds");
  valid("node: {rekey: {after_secs: 16}}");
}

TEST(ConfigValidate, EstablishedHandshakeBurst) {
  EXPECT_STARTS(invalid("node: {rate_limit: {established_handshake_burst: 0}}"),
                "node.rate_limit.established_handshake_burst: is 0, which refuses every rekey");
  valid("node: {rate_limit: {established_handshake_burst: 1}}");
}

TEST(ConfigValidate, EstablishedHandshakeRate) {
  EXPECT_STARTS(invalid("node: {rate_limit: {established_handshake_rate: 0}}"),
                "node.rate_limit.established_handshake_rate: is 0, but must be a finite value "
                "greater than 0");
  EXPECT_STARTS(invalid("node: {rate_limit: {established_handshake_rate: -1.5}}"),
                "node.rate_limit.established_handshake_rate: is -1.5, but");
  EXPECT_STARTS(invalid("node: {rate_limit: {established_handshake_rate: .inf}}"),
                "node.rate_limit.established_handshake_rate: is inf, but");
  valid("node: {rate_limit: {established_handshake_rate: 0.5}}");
}

TEST(ConfigValidate, SessionSetupBurst) {
  EXPECT_STARTS(invalid("node: {rate_limit: {session_setup_burst: 0}}"),
                "node.rate_limit.session_setup_burst: is 0, which refuses every inbound "
                "SessionSetup");
}

TEST(ConfigValidate, SessionSetupRate) {
  EXPECT_STARTS(invalid("node: {rate_limit: {session_setup_rate: .nan}}"),
                "node.rate_limit.session_setup_rate: is NaN, but must be a finite value");
  EXPECT_STARTS(invalid("node: {rate_limit: {session_setup_rate: 0}}"),
                "node.rate_limit.session_setup_rate: is 0, but");
}

TEST(ConfigValidate, NativeApiBacklog) {
  EXPECT_STARTS(invalid("node: {native_api: {backlog: 0}}"),
                "node.native_api.backlog: is 0 but must be at least 1: a listener with no "
                "backlog admits no flow");
}

TEST(ConfigValidate, NativeApiPendingPerFlow) {
  EXPECT_STARTS(invalid("node: {native_api: {pending_per_flow: 0}}"),
                "node.native_api.pending_per_flow: is 0 but must be at least 1");
  EXPECT_STARTS(invalid("node: {native_api: {pending_per_flow: 65}}"),
                "node.native_api.pending_per_flow: is 65 but must not exceed 64: the whole batch");
  valid("node: {native_api: {pending_per_flow: 64}}");
}

TEST(ConfigValidate, NostrFreshnessWindow) {
  EXPECT_EQ(invalid("node: {rendezvous: {nostr: {signal_ttl_secs: 200}}}"),
            "node.rendezvous.nostr.signal_ttl_secs: is 200, which with 60s of clock-skew grace "
            "on each side makes a traversal signal acceptable over a 320s window, but "
            "`node.rendezvous.nostr.replay_window_secs` is 300. The freshness window must be "
            "strictly narrower than the replay window, or a session id evicted from the replay "
            "cache is still fresh enough to be accepted a second time. Raise "
            "`replay_window_secs` above 320, or lower `signal_ttl_secs`.");
  valid("node: {rendezvous: {nostr: {signal_ttl_secs: 179}}}");
  EXPECT_HAS(invalid("node: {rendezvous: {nostr: {signal_ttl_secs: 18446744073709551615}}}"),
             "over a 18446744073709551615s window");
}

TEST(ConfigValidate, OffersPerNpub) {
  EXPECT_STARTS(invalid("node: {rendezvous: {nostr: {max_concurrent_offers_per_npub: 0}}}"),
                "node.rendezvous.nostr.max_concurrent_offers_per_npub: is 0, which refuses every "
                "inbound traversal offer");
  EXPECT_STARTS(invalid("node: {rendezvous: {nostr: {max_concurrent_offers_per_npub: "
                        "2305843009213693952}}}"),
                "node.rendezvous.nostr.max_concurrent_offers_per_npub: is 2305843009213693952, "
                "which exceeds the maximum 2305843009213693951 permits");
}

TEST(ConfigValidate, AdvertiseOnNostrNeedsNostr) {
  EXPECT_EQ(invalid("transports: {udp: {lan: {advertise_on_nostr: true}}}"),
            "transports.udp.lan.advertise_on_nostr: at least one transport has "
            "`advertise_on_nostr = true`, but `node.rendezvous.nostr.enabled` is false");
  valid(
      "node: {rendezvous: {nostr: {enabled: true}}}\n"
      "transports: {udp: {advertise_on_nostr: true, public: true}}");
}

TEST(ConfigValidate, ViaNostrNeedsNostr) {
  std::string y = "peers: [{npub: " + std::string(kNpubA) + ", via_nostr: true}]";
  EXPECT_EQ(invalid(y),
            "peers[0].via_nostr: at least one peer has `via_nostr = true`, but "
            "`node.rendezvous.nostr.enabled` is false");
  valid("node: {rendezvous: {nostr: {enabled: true}}}\n" + y);
}

TEST(ConfigValidate, PeerNeedsAnAddress) {
  EXPECT_EQ(invalid("peers: [{npub: " + std::string(kNpubA) + "}]"),
            "peers[0].addresses: peers[0] (" + std::string(kNpubA) +
                "): must specify at least one address, or set `via_nostr = true` to resolve "
                "endpoints from the Nostr advert");
}

TEST(ConfigValidate, NatUdpAdvertNeedsRelaysAndStun) {
  std::string base = "transports: {udp: {advertise_on_nostr: true}}\n";
  EXPECT_EQ(invalid(base + "node: {rendezvous: {nostr: {enabled: true, dm_relays: []}}}"),
            "node.rendezvous.nostr.dm_relays: NAT UDP advert publishing requires "
            "`node.rendezvous.nostr.dm_relays` to be non-empty");
  EXPECT_EQ(invalid(base + "node: {rendezvous: {nostr: {enabled: true, stun_servers: []}}}"),
            "node.rendezvous.nostr.stun_servers: NAT UDP advert publishing requires "
            "`node.rendezvous.nostr.stun_servers` to be non-empty");
  valid(base + "node: {rendezvous: {nostr: {enabled: true}}}");
}

TEST(ConfigValidate, LoopbackBindWithExternalPeer) {
  std::string y =
      "transports: {udp: {bind_addr: \"127.0.0.1:2121\"}}\n" + peer("udp", "192.0.2.7:2121");
  EXPECT_STARTS(invalid(y),
                "transports.udp.bind_addr: is loopback (127.0.0.1:2121) but at least "
                "one peer has a non-loopback UDP address");
  valid("transports: {udp: {bind_addr: \"127.0.0.1:2121\", outbound_only: true}}\n" +
        peer("udp", "192.0.2.7:2121"));
  valid("transports: {udp: {bind_addr: \"127.0.0.1:2121\"}}\n" + peer("udp", "127.0.0.2:2121"));
}

TEST(ConfigValidate, QualifiedTransportOnlyForUdp) {
  EXPECT_STARTS(invalid("transports: {tcp: {a: {}}}\n" + peer("tcp/a", "192.0.2.1:443")),
                "peers[0].addresses[0].transport: peer `" + std::string(kNpubA) +
                    "` has address `192.0.2.1:443` on transport `tcp/a`, but only `udp` "
                    "resolves an instance name");
}

TEST(ConfigValidate, QualifiedUdpInstanceMustExist) {
  std::string single = invalid("transports: {udp: {}}\n" + peer("udp/lan", "192.0.2.1:2121"));
  EXPECT_STARTS(single, "peers[0].addresses[0].transport: peer `");
  EXPECT_HAS(single, "no udp transport is configured under the instance name `lan`");
  EXPECT_HAS(single,
             "no named udp instances are configured (the udp transport is a single "
             "unnamed instance).");
  std::string named =
      invalid("transports: {udp: {wan: {}, aware: {}}}\n" + peer("udp/lan", "192.0.2.1:2121"));
  EXPECT_HAS(named, "configured udp instances are: wan, aware.");
  valid("transports: {udp: {wan: {}, lan: {bind_addr: \"0.0.0.0:2122\"}}}\n" +
        peer("udp/lan", "192.0.2.1:2121"));
}

TEST(ConfigValidate, PeerNpubIsChecked) {
  std::string bad = kNpubA;
  bad.back() = 'q';
  std::string y = peer("udp", "192.0.2.1:2121") + "  - npub: " + bad +
                  "\n    addresses: [{transport: udp, addr: \"192.0.2.2:2121\"}]\n";
  EXPECT_EQ(invalid(y), "peers[1].npub: invalid npub: bad checksum");
  Identity id = Identity::generate();
  EXPECT_EQ(invalid(peer("udp", "192.0.2.1:2121", id.nsec())),
            "peers[0].npub: wrong prefix: expected npub, got nsec");
}

TEST(ConfigValidate, PeerAddressesParse) {
  for (const char* bad : {"192.0.2.1", "abc", "192.0.2.1:0", "192.0.2.1:70000", "1.2.3.999:80",
                          "::1:2121", "[::1]", "host:port", ":2121", "-bad-.example:1"}) {
    std::string e = invalid(peer("udp", bad));
    EXPECT_STARTS(e, "peers[0].addresses[0].addr: expected host:port");
    EXPECT_HAS(e, bad);
  }
  EXPECT_STARTS(invalid(peer("tcp", "nope")), "peers[0].addresses[0].addr: ");
  valid(peer("udp", "[2001:db8::1]:2121"));
  valid(peer("udp", "[fe80::1%lo]:2121"));
  Config c = valid(peer("udp", "peer1.example.com:2121"));
  EXPECT_TRUE(any_contains(c.warnings,
                           "peers[0].addresses[0].addr: \"peer1.example.com:2121\" "
                           "names a host, not an IP address"));
  // Other transports' address formats are not ours to judge; they are noted.
  c = valid(peer("ethernet", "eth0/aa:bb:cc:dd:ee:ff"));
  EXPECT_TRUE(any_contains(c.warnings,
                           "peers[0].addresses[0].transport: the ethernet transport "
                           "is not supported"));
  c = valid(peer("carrier-pigeon", "x"));
  EXPECT_TRUE(any_contains(c.warnings, "unknown transport type \"carrier-pigeon\""));
}

TEST(ConfigValidate, BindAddressesParse) {
  EXPECT_EQ(invalid("transports: {udp: {bind_addr: \"0.0.0.0\"}}"),
            "transports.udp.bind_addr: expected IP:port (e.g. \"0.0.0.0:2121\" or "
            "\"[::]:2121\"), got \"0.0.0.0\"");
  EXPECT_STARTS(invalid("transports: {udp: {a: {bind_addr: \"localhost:2121\"}}}"),
                "transports.udp.a.bind_addr: expected IP:port");
  EXPECT_STARTS(invalid("transports: {tcp: {bind_addr: \"x:443\"}}"),
                "transports.tcp.bind_addr: expected IP:port");
  valid("transports: {udp: {bind_addr: \"nonsense\", outbound_only: true}}");
  valid("transports: {udp: {bind_addr: \"[::]:2121\"}, tcp: {bind_addr: \"0.0.0.0:443\"}}");
}

TEST(ConfigValidate, ExternalAddrParses) {
  EXPECT_STARTS(invalid("transports: {udp: {external_addr: \"my.host\"}}"),
                "transports.udp.external_addr: expected an IP address or IP:port");
  valid("transports: {udp: {external_addr: \"198.51.100.1\"}}");
  valid("transports: {udp: {external_addr: \"[2001:db8::1]:443\"}}");
}

TEST(ConfigValidate, DnsBindAddrIsAnIp) {
  EXPECT_EQ(invalid("dns: {bind_addr: \"[::1]\"}"),
            "dns.bind_addr: expected an IP address, got \"[::1]\"");
  valid("dns: {bind_addr: \"::\"}");
  valid("dns: {bind_addr: 127.0.0.1}");
}

TEST(ConfigValidate, NsecIsChecked) {
  EXPECT_STARTS(invalid("node: {identity: {nsec: nsec1qqqqqqqqqqqq}}"),
                "node.identity.nsec: invalid nsec: ");
  std::string e = invalid("node: {identity: {nsec: \"zz\"}}");
  EXPECT_STARTS(e, "node.identity.nsec: ");
  EXPECT_EQ(e.find("zz"), std::string::npos) << "secret input must not be echoed: " << e;
  valid("node: {identity: {nsec: \"" + Identity::generate().nsec() + "\"}}");
  valid("node: {identity: {nsec: \"" + std::string(64, '1') + "\"}}");
}

TEST(ConfigValidate, EveryProblemIsReported) {
  std::string e =
      invalid("node: {rekey: {after_messages: 0, after_secs: 1}, native_api: {backlog: 0}}");
  EXPECT_HAS(e, "node.rekey.after_messages: ");
  EXPECT_HAS(e, "\nnode.rekey.after_secs: ");
  EXPECT_HAS(e, "node.native_api.backlog: ");
  // Reference order: native_api (rule 5) before rekey (rules 8-9).
  EXPECT_LT(e.find("native_api"), e.find("after_messages"));
}

TEST(ConfigValidate, WarningsDoNotFail) {
  Config c = valid("node: {log_level: verbose}");
  EXPECT_TRUE(
      any_contains(c.warnings, "node.log_level: unrecognised level \"verbose\"; using info"));
  EXPECT_TRUE(any_contains(c.warnings, "transports: none configured"));
  c = valid(peer("udp", "192.0.2.1:1") + "  - npub: " + kNpubA +
            "\n    addresses: [{transport: udp, addr: \"192.0.2.1:2\"}]\n");
  EXPECT_TRUE(any_contains(c.warnings, "peers[1].npub: the same peer is listed more than once"));
}

// ---- log level --------------------------------------------------------------

TEST(ConfigLogLevel, FromConfigAndEnvironment) {
  Config c;
  EXPECT_EQ(effective_log_level(c, nullptr, nullptr), LogLevel::kInfo);
  c.node.log_level = "DEBUG";
  EXPECT_EQ(effective_log_level(c, nullptr, nullptr), LogLevel::kDebug);
  c.node.log_level = "Warning";
  EXPECT_EQ(effective_log_level(c, nullptr, nullptr), LogLevel::kWarn);
  c.node.log_level = "verbose";
  EXPECT_EQ(effective_log_level(c, nullptr, nullptr), LogLevel::kInfo);
  c.node.log_level = "error";
  EXPECT_EQ(effective_log_level(c, "trace", nullptr), LogLevel::kTrace);
  EXPECT_EQ(effective_log_level(c, "", nullptr), LogLevel::kError);            // empty = unset
  EXPECT_EQ(effective_log_level(c, "fips=debug", nullptr), LogLevel::kDebug);  // directive list
  EXPECT_EQ(effective_log_level(c, "trace", "warn"), LogLevel::kWarn);         // ours first
  EXPECT_EQ(effective_log_level(c, "trace", "bogus"), LogLevel::kTrace);
  EXPECT_EQ(log_level_name(LogLevel::kWarn), "WARN");
  EXPECT_FALSE(parse_config_log_level("warnings"));
  EXPECT_FALSE(parse_config_log_level("off"));
}

// RUST_LOG as a tracing EnvFilter directive list (issue 9): the default level
// is node.log_level or a bare level entry; `fips` directives apply to the
// whole daemon; `fips::module` directives can only raise verbosity (we have
// no per-module targets) and say so; bad entries warn and are skipped.
TEST(ConfigLogLevel, RustLogDirectiveLists) {
  Config c;
  auto r = [&](const char* env) { return resolve_log_settings(c, env, nullptr); };
  EXPECT_EQ(r("warn").level, LogLevel::kWarn);
  EXPECT_TRUE(r("warn").warnings.empty());
  // Bare level is the default; other crates do not matter.
  EXPECT_EQ(r("warn,nostr=debug,nostr_sdk=trace").level, LogLevel::kWarn);
  EXPECT_TRUE(r("warn,nostr=debug").warnings.empty());
  // No bare level: the config level is the default directive (info here).
  EXPECT_EQ(r("nostr=debug").level, LogLevel::kInfo);
  c.node.log_level = "error";
  EXPECT_EQ(r("nostr=debug").level, LogLevel::kError);
  c.node.log_level.reset();
  // A crate-wide fips directive wins over the default, in either direction.
  EXPECT_EQ(r("debug,fips=warn").level, LogLevel::kWarn);
  EXPECT_EQ(r("error,fips=trace").level, LogLevel::kTrace);
  // Per-module: the most verbose one that applies to a fips target, with a note.
  LogSettings s = r("info,fips::node=debug");
  EXPECT_EQ(s.level, LogLevel::kDebug);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("per-module levels are not supported"), std::string::npos);
  EXPECT_NE(s.warnings[0].find("fips::node=debug"), std::string::npos);
  // A module directive less verbose than the default changes nothing, silently.
  s = r("debug,fips::transport=error");
  EXPECT_EQ(s.level, LogLevel::kDebug);
  EXPECT_TRUE(s.warnings.empty());
  // Spaces, empty entries, digits, case, bare targets (= trace), span filters.
  EXPECT_EQ(r(" WARN , ,fips::control = 4 ").level, LogLevel::kDebug);
  EXPECT_EQ(r("info,fips::node").level, LogLevel::kTrace);
  EXPECT_EQ(r("warn,[handshake]=trace").level, LogLevel::kWarn);
  EXPECT_EQ(r("off").level, LogLevel::kOff);
  // Unparsable entries: a warning each, the rest still applies.
  s = r("fips=loud,debug");
  EXPECT_EQ(s.level, LogLevel::kDebug);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("ignoring directive `fips=loud`"), std::string::npos);
  s = r("!!!");
  EXPECT_EQ(s.level, LogLevel::kInfo);  // falls back to the config level
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("ignoring directive `!!!`"), std::string::npos);
  // FIPS_LOG_LEVEL still wins; a bad one warns and falls through.
  s = resolve_log_settings(c, "trace", "bogus");
  EXPECT_EQ(s.level, LogLevel::kTrace);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("FIPS_LOG_LEVEL"), std::string::npos);
}

}  // namespace
}  // namespace fips
