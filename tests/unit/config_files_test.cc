// Config files on disk: -c loading, the search-path cascade (with an injected
// path list under a temp dir), identity resolution and key files, default
// socket paths, and malformed input that must produce an error, never a
// crash or an exception.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "config/identity_resolve.h"
#include "config/load.h"
#include "config/paths.h"
#include "temp_dir.h"
#include "test_util.h"

namespace fips {
namespace {

namespace fs = std::filesystem;

const char* kNpubA = "npub1rwzv24nmzfjypx2a8m264ws9vht3uxp5vpypnluuzl67n4waq78suk0wul";

using test::TempDir;

bool any_contains(const std::vector<IdentityLogLine>& log, LogLevel level, const std::string& s) {
  return std::any_of(log.begin(), log.end(), [&](const IdentityLogLine& l) {
    return l.level == level && l.text.find(s) != std::string::npos;
  });
}

mode_t file_mode(const std::string& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

// ---- -c and single files ------------------------------------------------------

TEST(ConfigFile, LoadsExactlyThatFile) {
  TempDir d;
  std::string p = d.write("etc/fips.yaml",
                          "node: {log_level: debug, limits: {max_peers: 3}}\n"
                          "transports: {udp: {}}\n");
  auto r = load_config_file(p);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->node.limits.max_peers, 3u);
  EXPECT_EQ(r->node.log_level, "debug");
  EXPECT_EQ(r->loaded_paths, std::vector<std::string>{p});
  auto via_load = load_config(p);
  ASSERT_TRUE(via_load.ok());
  EXPECT_EQ(via_load->node.limits.max_peers, 3u);
}

TEST(ConfigFile, ReadErrorsNameThePath) {
  TempDir d;
  auto r = load_config_file(d.path("missing.yaml"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "failed to read config file " + d.path("missing.yaml") +
                           ": No such file or directory (os error 2)");
  r = load_config_file(d.root());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("Is a directory (os error 21)"), std::string::npos) << r.error();
}

TEST(ConfigFile, ParseAndValidationErrorsAreDistinguished) {
  TempDir d;
  auto r = load_config_file(d.write("a.yaml", "tun: {mtu: big}\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(),
            "failed to parse config file " + d.path("a.yaml") +
                ": tun.mtu: expected an integer 0..65535, got \"big\" at line 1 column 12");
  r = load_config_file(d.write("b.yaml", "node: {rekey: {after_messages: 0}}\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().starts_with("invalid configuration: node.rekey.after_messages: must be"))
      << r.error();
}

TEST(ConfigFile, OversizedFileIsRefused) {
  TempDir d;
  std::string big = "# " + std::string(kMaxConfigBytes, 'x') + "\n";
  auto r = load_config_file(d.write("big.yaml", big));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("larger than 1048576 bytes"), std::string::npos) << r.error();
}

// ---- the cascade --------------------------------------------------------------

TEST(ConfigCascade, SearchPathsFollowTheReference) {
  EXPECT_EQ(search_paths_for(std::string("/home/u"), std::nullopt),
            (std::vector<std::string>{"/etc/fips/fips.yaml", "/home/u/.config/fips/fips.yaml",
                                      "/home/u/.fips.yaml", "./fips.yaml"}));
  EXPECT_EQ(search_paths_for(std::string("/home/u"), std::string("/xdg")),
            (std::vector<std::string>{"/etc/fips/fips.yaml", "/xdg/fips/fips.yaml",
                                      "/home/u/.fips.yaml", "./fips.yaml"}));
  // A relative XDG_CONFIG_HOME is ignored, as dirs::config_dir does.
  EXPECT_EQ(search_paths_for(std::string("/home/u"), std::string("rel"))[1],
            "/home/u/.config/fips/fips.yaml");
  EXPECT_EQ(search_paths_for(std::nullopt, std::nullopt),
            (std::vector<std::string>{"/etc/fips/fips.yaml", "./fips.yaml"}));
  EXPECT_EQ(default_search_paths().front(), "/etc/fips/fips.yaml");
  EXPECT_EQ(default_search_paths().back(), "./fips.yaml");
}

TEST(ConfigCascade, EveryKeyOfEveryFileIsHonoured) {
  TempDir d;
  std::string low = d.write("etc/fips.yaml", std::string(R"(node:
  limits: {max_peers: 10, max_links: 20}
  control: {socket_path: /tmp/low.sock}
  identity: {persistent: true}
transports:
  udp: {lan: {bind_addr: "0.0.0.0:1000"}, wan: {}}
peers:
  - {npub: )") + kNpubA + R"(, addresses: [{transport: udp, addr: "192.0.2.1:1"}]}
  - {npub: )" + kNpubA + R"(, addresses: [{transport: udp, addr: "192.0.2.1:2"}]}
)");
  std::string mid = d.path("home/.config/fips/fips.yaml");  // never written: skipped
  std::string high = d.write("cwd/fips.yaml", std::string(R"(node:
  log_level: debug
  limits: {max_peers: 11}
  identity: {persistent: false}
  rekey: {after_secs: 600}
transports:
  udp: {bind_addr: "0.0.0.0:3000"}
peers:
  - {npub: )") + kNpubA + R"(, addresses: [{transport: udp, addr: "192.0.2.9:9"}]}
)");
  auto r = load_config_from_paths({low, mid, high});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->loaded_paths, (std::vector<std::string>{low, high}));
  EXPECT_EQ(r->node.limits.max_peers, 11u);                 // higher file overrides
  EXPECT_EQ(r->node.limits.max_links, 20u);                 // lower file's key kept
  EXPECT_EQ(r->node.control.socket_path, "/tmp/low.sock");  // reference would drop this
  EXPECT_EQ(r->node.log_level, "debug");                    // and this
  EXPECT_EQ(r->node.rekey.after_secs, 600u);                // and this
  EXPECT_FALSE(r->node.persistent);                         // an explicit false wins
  ASSERT_EQ(r->udp.size(), 1u);                             // the section is replaced
  EXPECT_FALSE(r->udp[0].name);
  EXPECT_EQ(r->udp[0].bind_addr, "0.0.0.0:3000");
  ASSERT_EQ(r->peers.size(), 1u);  // lists replace
  EXPECT_EQ(r->peers[0].addresses[0].addr, "192.0.2.9:9");
}

TEST(ConfigCascade, ErrorsNameTheFile) {
  TempDir d;
  std::string good = d.write("a.yaml", "transports: {udp: {}}\n");
  std::string bad = d.write("b.yaml", "node:\n  leaf_only: maybe\n");
  auto r = load_config_from_paths({good, bad});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "failed to parse config file " + bad +
                           ": node.leaf_only: expected true or false, got \"maybe\" at line 2 "
                           "column 14");
}

TEST(ConfigCascade, ValidationSeesTheMergedResult) {
  TempDir d;
  std::string low =
      d.write("a.yaml", "peers: [{npub: " + std::string(kNpubA) +
                            ", addresses: [{transport: udp, addr: \"192.0.2.1:1\"}]}]\n");
  std::string high = d.write("b.yaml", "transports: {udp: {bind_addr: \"127.0.0.1:2121\"}}\n");
  auto r = load_config_from_paths({low, high});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().starts_with("invalid configuration: transports.udp.bind_addr: is loopback"))
      << r.error();
}

TEST(ConfigCascade, NoFileMeansDefaultsPlusUdp) {
  TempDir d;
  auto r = load_config_from_paths({d.path("a.yaml"), d.path("b/fips.yaml")});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->loaded_paths.empty());
  ASSERT_EQ(r->udp.size(), 1u);
  EXPECT_EQ(r->udp[0].bind_addr, "0.0.0.0:2121");
  EXPECT_FALSE(r->udp[0].name);
  EXPECT_FALSE(r->node.persistent);  // ephemeral identity
  EXPECT_TRUE(r->tcp.empty());
  EXPECT_EQ(identity_key_dir(*r), "/etc/fips");
}

// ---- identity -----------------------------------------------------------------

TEST(ConfigIdentity, KeyDirectoryFollowsTheLastLoadedFile) {
  Config c;
  EXPECT_EQ(identity_key_dir(c), "/etc/fips");
  c.loaded_paths = {"/etc/fips/fips.yaml", "/home/u/.fips.yaml"};
  EXPECT_EQ(identity_key_dir(c), "/home/u");
  c.loaded_paths = {"./fips.yaml"};
  EXPECT_EQ(identity_key_dir(c), ".");
  c.loaded_paths = {"fips.yaml"};
  EXPECT_EQ(identity_key_dir(c), "");
  c.loaded_paths = {"/fips.yaml"};
  EXPECT_EQ(identity_key_dir(c), "/");
}

TEST(ConfigIdentity, NsecInConfigWins) {
  TempDir d;
  Identity want = Identity::generate();
  Config c;
  c.node.nsec = want.nsec();
  c.node.persistent = true;
  auto r = resolve_identity_in(c, d.root());
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->source, IdentitySource::kConfig);
  EXPECT_EQ(r->identity.npub(), want.npub());
  EXPECT_TRUE(r->persistent);
  EXPECT_TRUE(any_contains(r->log, LogLevel::kInfo, "Using identity from configuration"));
  EXPECT_FALSE(fs::exists(d.path("fips.key")));  // nothing written
  c.node.nsec = "nsec1notakey";
  auto bad = resolve_identity_in(c, d.root());
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().starts_with("node.identity.nsec: ")) << bad.error();
}

TEST(ConfigIdentity, PersistentGeneratesThenReuses) {
  TempDir d;
  Config c;
  c.node.persistent = true;
  std::string dir = d.path("conf");  // does not exist yet: created
  auto first = resolve_identity_in(c, dir);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(first->source, IdentitySource::kGenerated);
  EXPECT_TRUE(first->survives_restart);
  EXPECT_EQ(first->key_path, dir + "/fips.key");
  EXPECT_TRUE(
      any_contains(first->log, LogLevel::kInfo,
                   "Generated persistent identity, saved to key file path=" + dir + "/fips.key"));
  EXPECT_EQ(file_mode(dir + "/fips.key"), 0600u);
  EXPECT_EQ(d.read("conf/fips.key"), first->identity.nsec() + "\n");
  EXPECT_EQ(d.read("conf/fips.pub"), first->identity.npub() + "\n");

  auto second = resolve_identity_in(c, dir);
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_EQ(second->source, IdentitySource::kKeyFile);
  EXPECT_EQ(second->identity.npub(), first->identity.npub());
  EXPECT_TRUE(
      any_contains(second->log, LogLevel::kInfo, "Loaded persistent identity from key file"));
  EXPECT_FALSE(any_contains(second->log, LogLevel::kWarn, "accessible beyond its owner"));
}

TEST(ConfigIdentity, LooseKeyFileModeWarns) {
  TempDir d;
  Identity id = Identity::generate();
  std::string key = d.write("fips.key", id.nsec() + "\n");
  ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
  Config c;
  c.node.persistent = true;
  auto r = resolve_identity_in(c, d.root());
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->identity.npub(), id.npub());
  EXPECT_TRUE(any_contains(r->log, LogLevel::kWarn,
                           "Identity key file is accessible beyond its owner; expected mode 0600 "
                           "path=" +
                               key + " mode=0644"));
  EXPECT_EQ(file_mode(key), 0644u);  // reported, not repaired (as the reference)
}

TEST(ConfigIdentity, BadKeyFilesAreErrors) {
  TempDir d;
  Config c;
  c.node.persistent = true;
  d.write("fips.key", "  \n");
  auto r = resolve_identity_in(c, d.root());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "key file is empty: " + d.path("fips.key"));
  d.write("fips.key", "nsec1garbage\n");
  r = resolve_identity_in(c, d.root());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().starts_with("identity error: ")) << r.error();
  EXPECT_EQ(r.error().find("garbage"), std::string::npos) << "key material echoed";
}

TEST(ConfigIdentity, EphemeralOverwritesWithAWarning) {
  TempDir d;
  Config c;
  // First run, no key file: no warning.
  auto first = resolve_identity_in(c, d.root());
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(first->source, IdentitySource::kEphemeral);
  EXPECT_FALSE(first->survives_restart);
  EXPECT_TRUE(first->persistent);  // show_status value, as the reference daemon reports
  EXPECT_FALSE(any_contains(first->log, LogLevel::kWarn, "being replaced"));
  EXPECT_TRUE(any_contains(first->log, LogLevel::kInfo,
                           "Using ephemeral identity (new keypair each start)"));
  EXPECT_EQ(d.read("fips.key"), first->identity.nsec() + "\n");
  // Second run: a fresh key replaces the old one, with a warning.
  auto second = resolve_identity_in(c, d.root());
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->identity.npub(), first->identity.npub());
  EXPECT_TRUE(any_contains(second->log, LogLevel::kWarn,
                           "An existing key file at this path is being replaced by a fresh "
                           "ephemeral identity"));
  EXPECT_EQ(d.read("fips.key"), second->identity.nsec() + "\n");
  EXPECT_EQ(d.read("fips.pub"), second->identity.npub() + "\n");
  EXPECT_EQ(file_mode(d.path("fips.key")), 0600u);
}

TEST(ConfigIdentity, UnwritableKeyDirFallsBackToEphemeral) {
  TempDir d;
  d.write("file", "x");
  Config c;
  c.node.persistent = true;
  auto r = resolve_identity_in(c, d.path("file/sub"));  // a path through a regular file
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->source, IdentitySource::kEphemeral);
  EXPECT_FALSE(r->survives_restart);
  EXPECT_TRUE(
      any_contains(r->log, LogLevel::kWarn, "Failed to persist the generated identity key"));
}

// ---- socket paths -------------------------------------------------------------

TEST(ConfigPaths, DefaultSocketResolution) {
  TempDir d;
  fs::create_directories(d.path("run"));
  fs::create_directories(d.path("xdg"));
  EXPECT_EQ(resolve_default_socket_in("control.sock", d.path("run"), d.path("xdg")),
            d.path("run") + "/control.sock");
  EXPECT_EQ(resolve_default_socket_in("control.sock", d.path("norun"), d.path("xdg")),
            d.path("xdg") + "/fips/control.sock");
  EXPECT_EQ(resolve_default_socket_in("control.sock", d.path("norun"), d.path("gone")),
            "/tmp/fips-control.sock");
  EXPECT_EQ(resolve_default_socket_in("api.sock", d.path("norun"), std::string()),
            "/tmp/fips-api.sock");
  EXPECT_EQ(resolve_default_socket_in("control.sock", d.path("norun"), std::nullopt),
            "/tmp/fips-control.sock");
  EXPECT_TRUE(is_managed_socket_parent_in("/run/fips", "/run/fips", std::nullopt));
  EXPECT_TRUE(is_managed_socket_parent_in("/x/fips", "/run/fips", std::string("/x")));
  EXPECT_FALSE(is_managed_socket_parent_in("/x", "/run/fips", std::string("/x")));
  EXPECT_EQ(control_socket_path("/a.sock"), "/a.sock");
  EXPECT_EQ(control_socket_path(""), default_control_socket_path());
}

// ---- malformed input ----------------------------------------------------------

std::string parse_err_nothrow(const std::string& text) {
  std::string err;
  EXPECT_NO_THROW({
    auto r = parse_config_string(text, "bad.yaml");
    EXPECT_FALSE(r.ok());
    if (!r.ok()) err = r.error();
  });
  return err;
}

TEST(ConfigMalformed, TabsInIndentation) {
  std::string e = parse_err_nothrow("node:\n\tleaf_only: true\n");
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
}

TEST(ConfigMalformed, UnclosedBrackets) {
  EXPECT_NE(parse_err_nothrow("transports: {udp: {bind_addr: x}\n").find("at line"),
            std::string::npos);
  EXPECT_NE(parse_err_nothrow("peers: [\n").find("at line"), std::string::npos);
}

TEST(ConfigMalformed, BinaryGarbage) {
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 7919 + 13) & 0xff));
  EXPECT_FALSE(parse_err_nothrow(junk).empty());
  EXPECT_NE(parse_err_nothrow(std::string("a: \0 b", 6)).find("control character 0x00"),
            std::string::npos);
  EXPECT_NE(parse_err_nothrow("a: \xc3\x28\n").find("invalid UTF-8 at line 1 column 4"),
            std::string::npos);
  // Valid UTF-8 in a value is fine.
  EXPECT_TRUE(parse_config_string("tun: {name: \"f\xc3\xa9\"}", "x").ok());
}

// yaml-cpp 0.7's LoadAll() loops forever (and grows without bound) on these;
// the loader must return an error instead.
TEST(ConfigMalformed, InputsThatHangYamlCppLoadAll) {
  for (const char* s : {",", ", a: 1", ",\n,\n"}) {
    std::string e = parse_err_nothrow(s);
    EXPECT_NE(e.find("more than one document"), std::string::npos) << s << " -> " << e;
  }
  EXPECT_FALSE(parse_err_nothrow("]tcp~:x, ]&a : y").empty());
}

TEST(ConfigMalformed, OneMegabyte) {
  std::string big(kMaxConfigBytes + 1, 'a');
  EXPECT_NE(parse_err_nothrow(big).find("the limit is 1048576"), std::string::npos);
  // Just under the limit: pathological nesting (yaml-cpp's depth guard).
  EXPECT_FALSE(parse_err_nothrow(std::string(kMaxConfigBytes - 1, '[')).empty());
  // Well-formed but large (256 KiB, ~30k keys; yaml-cpp itself needs ~1 s per MiB of
  // keys): unknown keys and warnings stay bounded.
  std::string keys;
  for (int i = 0; keys.size() < kMaxConfigBytes / 4; ++i)
    keys.append("k").append(std::to_string(i)).append(": 1\n");  // not operator+: GCC 12 -Wrestrict
  auto r = parse_config_string(keys, "big.yaml");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_LE(r->unknown_keys.size(), 1000u);
  EXPECT_LE(r->warnings.size(), 1001u);
}

TEST(ConfigMalformed, AliasesCannotMultiplyWithoutBound) {
  std::string y = "x: &a {npub: " + std::string(kNpubA) +
                  ", addresses: [{transport: udp, addr: \"192.0.2.1:1\"}]}\npeers: [";
  for (int i = 0; i < 20000; ++i) y += "*a, ";
  y += "*a]\n";
  std::string e = parse_err_nothrow(y);
  EXPECT_NE(e.find("peers: too many entries (20001; at most 10000)"), std::string::npos) << e;
}

void parse_and_validate(const std::string& text) {
  auto r = parse_config_string(text, "random");
  if (r.ok()) {
    Config c = *r;
    (void)validate_config(c);
  }
}

RC_GTEST_PROP(ConfigMalformed, RandomBytesNeverCrash, (const std::string& bytes)) {
  parse_and_validate(bytes);
  // The same bytes folded into printable ASCII and newlines get past the
  // character check and into yaml-cpp.
  std::string folded = bytes;
  for (char& ch : folded) {
    auto b = static_cast<unsigned char>(ch);
    ch = b % 16 == 0 ? '\n' : static_cast<char>(' ' + b % 95);
  }
  parse_and_validate(folded);
}

// Random documents built from YAML-ish tokens reach deeper than raw bytes.
RC_GTEST_PROP(ConfigMalformed, RandomYamlTokensNeverCrash, ()) {
  static const std::vector<std::string> kTokens = {
      "node",   "transports", "udp",   "tcp",        "peers", "npub", "addresses", "bind_addr",
      "mtu",    "limits",     "rekey", "after_secs", "0",     "-1",   "0x10",      "1e9",
      ".nan",   "true",       "~",     "\"q\"",      ":",     ": ",   "\n",        "\n  ",
      "\n    ", "- ",         "[",     "]",          "{",     "}",    ", ",        "&a ",
      "*a",     "!!str ",     "? ",    "---\n",      "#",     "'",    "|\n  x"};
  auto picks =
      *rc::gen::container<std::vector<size_t>>(rc::gen::inRange<size_t>(0, kTokens.size()));
  std::string doc;
  for (size_t i : picks) doc += kTokens[i];
  parse_and_validate(doc);
}

}  // namespace
}  // namespace fips
