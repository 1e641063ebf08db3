// Hosts file and host map: line format, hostname rules, overrides, warnings
// (returned, with path:line), peer aliases merged under the file, the
// reverse lookup, file loading limits and the mtime-driven reloader.
#include "ipv6/hosts.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"
#include "test_util.h"

namespace fips {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNpubA = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg";
constexpr const char* kNpubB = "npub1rwzv24nmzfjypx2a8m264ws9vht3uxp5vpypnluuzl67n4waq78suk0wul";

using test::TempDir;

std::string npub_of(const HostMap& m, std::string_view name) {
  const PeerIdentity* id = m.lookup(name);
  return id ? id->npub() : "<none>";
}

TEST(DnsHosts, HostnameRules) {
  EXPECT_FALSE(hostname_problem("gateway"));
  EXPECT_FALSE(hostname_problem("a"));
  EXPECT_FALSE(hostname_problem("Node-7"));
  EXPECT_FALSE(hostname_problem(std::string(63, 'x')));
  EXPECT_FALSE(hostname_problem("npub"));    // only "npub1" is reserved
  EXPECT_FALSE(hostname_problem("xnpub1"));
  EXPECT_EQ(hostname_problem(""), "empty hostname");
  EXPECT_EQ(hostname_problem(std::string(64, 'x')), "exceeds 63 characters");
  EXPECT_EQ(hostname_problem("npub1abc"),
            "must not start with 'npub1' (ambiguous with npub resolution)");
  EXPECT_TRUE(hostname_problem("NPUB1abc"));
  EXPECT_EQ(hostname_problem("-a"), "must not start with a hyphen");
  EXPECT_EQ(hostname_problem("a-"), "must not end with a hyphen");
  EXPECT_EQ(hostname_problem("a_b"), "invalid character '_'");
  EXPECT_EQ(hostname_problem("a.b"), "invalid character '.'");
  EXPECT_EQ(hostname_problem("caf\xc3\xa9"), "invalid character '?'");
}

TEST(DnsHosts, ParsesEntriesCommentsAndWhitespace) {
  const std::string text = std::string("# fips hosts\n") + "\n" + "   \n" +
                           "gateway " + kNpubA + "\n" +        // line 4
                           "\tServer2\t\t" + kNpubB + "  \r\n" +  // tabs, CRLF, mixed case name
                           "  # indented comment\n" + "last " + kNpubA;  // no final newline
  auto p = parse_hosts(text, "/etc/fips/hosts");
  EXPECT_TRUE(p.warnings.empty()) << p.warnings[0];
  EXPECT_EQ(p.map.size(), 3u);
  EXPECT_EQ(npub_of(p.map, "gateway"), kNpubA);
  EXPECT_EQ(npub_of(p.map, "server2"), kNpubB);
  EXPECT_EQ(npub_of(p.map, "SERVER2"), kNpubB);
  EXPECT_EQ(npub_of(p.map, "last"), kNpubA);
  EXPECT_EQ(npub_of(p.map, "missing"), "<none>");
  EXPECT_EQ(npub_of(p.map, ""), "<none>");
}

TEST(DnsHosts, BadLinesAreSkippedWithWarnings) {
  const std::string text = std::string("gateway ") + kNpubA + " # trailing comment\n" +  // 1
                           "lonely\n" +                                                // 2
                           "a b c\n" +                                                 // 3
                           "-bad " + kNpubA + "\n" +                                   // 4
                           "npub1alias " + kNpubA + "\n" +                             // 5
                           "good notannpub\n" +                                        // 6
                           "good2 " + std::string(kNpubA).substr(0, 62) + "x\n" +      // 7
                           "ok " + kNpubB + "\n";                                      // 8
  auto p = parse_hosts(text, "hosts");
  ASSERT_EQ(p.warnings.size(), 7u);
  EXPECT_EQ(p.warnings[0].rfind("hosts:1: expected 'hostname npub', skipping: gateway npub1", 0),
            0u)
      << p.warnings[0];
  EXPECT_EQ(p.warnings[1], "hosts:2: expected 'hostname npub', skipping: lonely");
  EXPECT_EQ(p.warnings[2], "hosts:3: expected 'hostname npub', skipping: a b c");
  EXPECT_EQ(p.warnings[3],
            "hosts:4: skipping invalid entry: invalid hostname '-bad': must not start with a "
            "hyphen");
  EXPECT_NE(p.warnings[4].find("hosts:5: skipping invalid entry: invalid hostname 'npub1alias'"),
            std::string::npos);
  EXPECT_EQ(p.warnings[5].rfind("hosts:6: skipping invalid entry: invalid npub 'notannpub': ", 0),
            0u)
      << p.warnings[5];
  EXPECT_EQ(p.warnings[6].rfind("hosts:7: skipping invalid entry: invalid npub", 0), 0u);
  EXPECT_EQ(p.map.size(), 1u);
  EXPECT_EQ(npub_of(p.map, "ok"), kNpubB);
}

TEST(DnsHosts, WarningsDoNotCarryControlBytes) {
  auto p = parse_hosts("bad\x1b[31m\x07name " + std::string(kNpubA) + " extra", "h");
  ASSERT_EQ(p.warnings.size(), 1u);
  for (char c : p.warnings[0]) EXPECT_GE(static_cast<unsigned char>(c), 0x20);
}

TEST(DnsHosts, LaterLinesOverrideAndReverseLookupFollows) {
  auto p = parse_hosts(std::string("gw ") + kNpubA + "\nGW " + kNpubB + "\nother " + kNpubA + "\n",
                       "h");
  EXPECT_TRUE(p.warnings.empty());
  EXPECT_EQ(p.map.size(), 2u);
  EXPECT_EQ(npub_of(p.map, "gw"), kNpubB);
  auto a = PeerIdentity::from_npub(kNpubA);
  auto b = PeerIdentity::from_npub(kNpubB);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_NE(p.map.hostname_of(b->node_addr()), nullptr);
  EXPECT_EQ(*p.map.hostname_of(b->node_addr()), "gw");
  ASSERT_NE(p.map.hostname_of(a->node_addr()), nullptr);
  EXPECT_EQ(*p.map.hostname_of(a->node_addr()), "other");

  // Override leaves the old address with no name at all.
  auto q = parse_hosts(std::string("gw ") + kNpubA + "\ngw " + kNpubB + "\n", "h");
  EXPECT_EQ(q.map.hostname_of(a->node_addr()), nullptr);
}

TEST(DnsHosts, PeerAliasesMergedFileWins) {
  std::vector<PeerConfig> peers(4);
  peers[0].npub = kNpubA;
  peers[0].alias = "gateway";
  peers[1].npub = kNpubB;
  peers[1].alias = "backup";
  peers[2].npub = kNpubB;  // no alias: ignored
  peers[3].npub = kNpubA;
  peers[3].alias = "bad_alias";
  auto base = host_map_from_peers(peers);
  ASSERT_EQ(base.warnings.size(), 1u);
  EXPECT_EQ(base.warnings[0],
            "skipping invalid peer alias for the DNS host map: invalid hostname 'bad_alias': "
            "invalid character '_'");
  EXPECT_EQ(base.map.size(), 2u);

  auto file = parse_hosts(std::string("gateway ") + kNpubB + "\n", "h");
  HostMap eff = base.map;
  eff.merge(file.map);
  EXPECT_EQ(npub_of(eff, "gateway"), kNpubB);  // file wins
  EXPECT_EQ(npub_of(eff, "backup"), kNpubB);   // base kept
  EXPECT_EQ(eff.size(), 2u);
  EXPECT_EQ(npub_of(base.map, "gateway"), kNpubA);  // merge copied, base untouched
}

TEST(DnsHosts, EntryCap) {
  std::string text;
  for (size_t i = 0; i <= kMaxHostEntries; ++i) {
    text += 'h';  // appended piecewise: GCC 12 -O3 flags "h" + std::string with -Wrestrict
    text += std::to_string(i);
    text += ' ';
    text += kNpubA;
    text += '\n';
  }
  text += std::string("h0 ") + kNpubB + "\n";  // overriding an existing name is still allowed
  auto p = parse_hosts(text, "h");
  EXPECT_EQ(p.map.size(), kMaxHostEntries);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("more than 10000 entries"), std::string::npos);
  EXPECT_EQ(npub_of(p.map, "h0"), kNpubB);
  EXPECT_EQ(npub_of(p.map, "h10000"), "<none>");
}

TEST(DnsHosts, LoadFile) {
  TempDir d;
  auto missing = load_hosts_file(d.path("nope"));
  EXPECT_FALSE(missing.present);
  EXPECT_TRUE(missing.parsed.warnings.empty());
  EXPECT_TRUE(missing.parsed.map.empty());

  auto ok = load_hosts_file(d.write("hosts", std::string("gw ") + kNpubA + "\nbad\n"));
  EXPECT_TRUE(ok.present);
  EXPECT_EQ(ok.parsed.map.size(), 1u);
  ASSERT_EQ(ok.parsed.warnings.size(), 1u);
  EXPECT_EQ(ok.parsed.warnings[0], d.path("hosts") + ":2: expected 'hostname npub', skipping: bad");

  auto latin1 = load_hosts_file(d.write("latin1", std::string("caf\xe9 ") + kNpubA + "\n"));
  EXPECT_TRUE(latin1.parsed.map.empty());
  ASSERT_EQ(latin1.parsed.warnings.size(), 1u);
  EXPECT_NE(latin1.parsed.warnings[0].find("not valid UTF-8"), std::string::npos);

  auto big = load_hosts_file(d.write("big", std::string(kMaxHostsFileBytes + 1, '#')));
  EXPECT_TRUE(big.parsed.map.empty());
  ASSERT_EQ(big.parsed.warnings.size(), 1u);
  EXPECT_NE(big.parsed.warnings[0].find("larger than"), std::string::npos);

  fs::create_directory(d.path("dir"));
  auto dir = load_hosts_file(d.path("dir"));
  ASSERT_EQ(dir.parsed.warnings.size(), 1u);
  EXPECT_NE(dir.parsed.warnings[0].find("not a regular file"), std::string::npos);
}

TEST(DnsHosts, ReloaderFollowsTheFile) {
  TempDir d;
  HostMap base;
  ASSERT_TRUE(base.insert("base", kNpubA).ok());
  ASSERT_TRUE(base.insert("gw", kNpubA).ok());
  const std::string path = d.path("hosts");
  HostsReloader r(base, path);
  std::vector<std::string> w;

  // Before the first check: the base map only; the first check always loads.
  EXPECT_EQ(r.hosts().size(), 2u);
  EXPECT_TRUE(r.check_reload(w));
  EXPECT_FALSE(r.check_reload(w));
  EXPECT_EQ(r.reloads(), 1u);

  // File appears: merged, file wins.
  d.write("hosts", std::string("gw ") + kNpubB + "\n");
  EXPECT_TRUE(r.check_reload(w));
  EXPECT_EQ(npub_of(r.hosts(), "gw"), kNpubB);
  EXPECT_EQ(npub_of(r.hosts(), "base"), kNpubA);
  EXPECT_FALSE(r.check_reload(w));

  // Modified (size changes; the stamp also covers mtime and inode).
  d.write("hosts", std::string("gw ") + kNpubB + "\nnew " + kNpubB + "\nbroken\n");
  EXPECT_TRUE(r.check_reload(w));
  EXPECT_EQ(npub_of(r.hosts(), "new"), kNpubB);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find(":3: expected 'hostname npub'"), std::string::npos);

  // Same size, different content, mtime forced to differ.
  d.write("hosts", std::string("gw ") + kNpubB + "\nnew " + kNpubA + "\nbroken\n");
  struct timespec ts[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), ts, 0), 0);
  EXPECT_TRUE(r.check_reload(w));
  EXPECT_EQ(npub_of(r.hosts(), "new"), kNpubA);

  // Removed: back to the base map.
  fs::remove(path);
  EXPECT_TRUE(r.check_reload(w));
  EXPECT_EQ(npub_of(r.hosts(), "gw"), kNpubA);
  EXPECT_EQ(npub_of(r.hosts(), "new"), "<none>");
  EXPECT_FALSE(r.check_reload(w));
  EXPECT_EQ(r.reloads(), 5u);
}

}  // namespace
}  // namespace fips
