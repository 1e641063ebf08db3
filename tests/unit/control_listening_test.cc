// show_listening_sockets: /proc/net parsing (control/listening.h), the
// nftables classifier (control/firewall_state.h) against real `nft -j`
// output, the reply shape, and the I/O probe (daemon/listening_probe.h) over
// a fake /proc tree. Fixtures: tests/vectors/listening/README.md.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "control/firewall_state.h"
#include "control/listening.h"
#include "daemon/listening_probe.h"
#include "io/event_loop.h"
#include "temp_dir.h"

namespace fips {
namespace {

using listening::Proto;
using listening::Socket;
using nlohmann::json;

std::string fixture(const std::string& name) {
  std::ifstream f(std::string(FIPS_VECTORS_DIR) + "/listening/" + name, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open listening fixture " + name);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// fd12:3456:789a:bcde:f012:3456:789a:bcde, the fixtures' fips0 address.
const listening::Ipv6Bytes kFips0 = {0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde,
                                     0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde};

std::vector<Socket> parse(const std::string& file, Proto p, listening::ParseStats* st = nullptr) {
  std::vector<Socket> out;
  listening::ParseStats s;
  listening::parse_proc_net(fixture(file), p, kFips0, out, s);
  if (st) *st = s;
  return out;
}

TEST(Listening, Tcp6KeepsListenersOnWildcardAndFips0Only) {
  listening::ParseStats st;
  auto v = parse("tcp6.txt", Proto::kTcp, &st);
  EXPECT_EQ(st.rows, 11u);
  EXPECT_EQ(st.skipped, 4u);  // rows 6-9
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].port, 8080);
  EXPECT_TRUE(v[0].wildcard_bind);
  EXPECT_EQ(v[0].inode, 1001u);
  EXPECT_EQ(v[1].port, 22);
  EXPECT_FALSE(v[1].wildcard_bind);
  EXPECT_EQ(v[1].local_addr, kFips0);
  EXPECT_EQ(v[1].inode, 1003u);
  EXPECT_EQ(v[2].port, 9001);  // after the blank line
  for (const auto& s : v) EXPECT_EQ(s.proto, Proto::kTcp);
}

TEST(Listening, Udp6KeepsUnconnectedSockets) {
  listening::ParseStats st;
  auto v = parse("udp6.txt", Proto::kUdp, &st);
  EXPECT_EQ(st.skipped, 0u);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].port, 5353);
  EXPECT_EQ(v[1].port, 2121);
  EXPECT_EQ(v[1].local_addr, kFips0);
  EXPECT_EQ(v[2].port, 5353);
  EXPECT_EQ(v[2].inode, 2004u);
}

TEST(Listening, GarbageNeverCrashesAndIsCounted) {
  std::vector<Socket> out;
  listening::ParseStats st;
  const std::string junk[] = {"",
                              "header only",
                              "h\n\n\n",
                              "h\n0: x y z\n",
                              "h\n0: :0 :0 0A a b c d e f\n",
                              std::string("h\n") + std::string(5000, 'A'),
                              std::string("h\n\0\0\0 0A\n", 9)};
  for (const auto& j : junk) listening::parse_proc_net(j, Proto::kTcp, kFips0, out, st);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(st.skipped, st.rows);
  EXPECT_EQ(st.rows, 4u);
}

TEST(Listening, SocketInode) {
  EXPECT_EQ(listening::socket_inode("socket:[12345]"), 12345u);
  EXPECT_FALSE(listening::socket_inode("socket:[]"));
  EXPECT_FALSE(listening::socket_inode("socket:[12a]"));
  EXPECT_FALSE(listening::socket_inode("pipe:[12345]"));
  EXPECT_FALSE(listening::socket_inode("/dev/null"));
  EXPECT_FALSE(listening::socket_inode("socket:[99999999999999999999999]"));
}

TEST(Listening, SortedByProtoPortPid) {
  std::vector<Socket> v(4);
  v[0] = {Proto::kUdp, {}, 53, 1, 9u, "a", true};
  v[1] = {Proto::kTcp, {}, 80, 2, 7u, "b", true};
  v[2] = {Proto::kTcp, {}, 80, 3, std::nullopt, std::nullopt, true};
  v[3] = {Proto::kTcp, {}, 22, 4, 5u, "d", true};
  listening::sort_sockets(v);
  EXPECT_EQ(v[0].inode, 4u);
  EXPECT_EQ(v[1].inode, 3u);  // no pid sorts first, as Rust's None < Some
  EXPECT_EQ(v[2].inode, 2u);
  EXPECT_EQ(v[3].inode, 1u);
}

// ------------------------------------------------------------- classifier

TEST(FirewallState, NoTableMeansNoFirewall) {
  auto c = FilterClassifier::no_firewall();
  EXPECT_FALSE(c.active());
  EXPECT_EQ(c.classify(Proto::kTcp, 22), FilterState::kNoFirewall);
  EXPECT_FALSE(FilterClassifier::from_nft_json("Error: No such file").active());
  EXPECT_FALSE(FilterClassifier::from_nft_json("").active());
}

TEST(FirewallState, ShippedBaselineDropsEveryPort) {
  auto c = FilterClassifier::from_nft_json(fixture("nft_baseline.json"));
  EXPECT_TRUE(c.active());
  for (uint16_t p : {22, 53, 80, 8000, 65535}) {
    EXPECT_EQ(c.classify(Proto::kTcp, p), FilterState::kDrop) << p;
    EXPECT_EQ(c.classify(Proto::kUdp, p), FilterState::kDrop) << p;
  }
}

TEST(FirewallState, DropInsFromRealNftOutput) {
  auto c = FilterClassifier::from_nft_json(fixture("nft_dropins.json"));
  EXPECT_EQ(c.classify(Proto::kTcp, 8000), FilterState::kAccept);
  EXPECT_EQ(c.classify(Proto::kUdp, 8000), FilterState::kDrop);
  EXPECT_EQ(c.classify(Proto::kTcp, 22), FilterState::kUnknown);  // saddr-restricted
  EXPECT_EQ(c.classify(Proto::kTcp, 80), FilterState::kAccept);   // set
  EXPECT_EQ(c.classify(Proto::kTcp, 443), FilterState::kAccept);
  EXPECT_EQ(c.classify(Proto::kTcp, 444), FilterState::kDrop);
  EXPECT_EQ(c.classify(Proto::kUdp, 5000), FilterState::kAccept);  // range
  EXPECT_EQ(c.classify(Proto::kUdp, 5010), FilterState::kAccept);
  EXPECT_EQ(c.classify(Proto::kUdp, 5011), FilterState::kDrop);
  EXPECT_EQ(c.classify(Proto::kTcp, 5005), FilterState::kDrop);
}

// One inbound rule per element of `rules` (each an expr array).
FilterClassifier chain(const json& rules) {
  json list = json::array();
  for (const auto& r : rules)
    list.push_back({{"rule", {{"family", "inet"}, {"table", "fips"}, {"chain", "inbound"},
                              {"expr", r}}}});
  return FilterClassifier::from_nft_json(json{{"nftables", list}}.dump());
}
json dport(const char* proto, json right, const char* op = "==") {
  return {{"match",
           {{"op", op}, {"left", {{"payload", {{"protocol", proto}, {"field", "dport"}}}}},
            {"right", right}}}};
}
const json kAccept = {{"accept", nullptr}};
const json kDrop = {{"drop", nullptr}};

TEST(FirewallState, VerdictsAndShapes) {
  // jump: not followed, so unknown.
  EXPECT_EQ(chain({{dport("tcp", 22), {{"jump", {{"target", "x"}}}}}}).classify(Proto::kTcp, 22),
            FilterState::kUnknown);
  // An explicit drop decides.
  EXPECT_EQ(chain({{dport("tcp", 22), kDrop}}).classify(Proto::kTcp, 22), FilterState::kDrop);
  // First decisive rule wins.
  EXPECT_EQ(chain({{dport("tcp", 22), kAccept}, {dport("tcp", 22), kDrop}})
                .classify(Proto::kTcp, 22),
            FilterState::kAccept);
  EXPECT_EQ(chain({{dport("tcp", 22), kDrop}, {dport("tcp", 22), kAccept}})
                .classify(Proto::kTcp, 22),
            FilterState::kDrop);
  // An unknown rule before an accept: the accept still wins, as the reference.
  json saddr = {{"match",
                 {{"op", "=="},
                  {"left", {{"payload", {{"protocol", "ip6"}, {"field", "saddr"}}}}},
                  {"right", "fd00::1"}}}};
  EXPECT_EQ(chain({{saddr, dport("tcp", 22), kAccept}, {dport("tcp", 22), kAccept}})
                .classify(Proto::kTcp, 22),
            FilterState::kAccept);
  // `!=` is not decomposed.
  EXPECT_EQ(chain({{dport("tcp", 22, "!="), kAccept}}).classify(Proto::kTcp, 22),
            FilterState::kDrop);
  // meta l4proto agreeing with the port's protocol.
  json l4 = {{"match", {{"op", "=="}, {"left", {{"meta", {{"key", "l4proto"}}}}}, {"right", "tcp"}}}};
  EXPECT_EQ(chain({{l4, dport("tcp", 22), kAccept}}).classify(Proto::kTcp, 22),
            FilterState::kAccept);
  EXPECT_EQ(chain({{l4, dport("tcp", 22), kAccept}}).classify(Proto::kUdp, 22),
            FilterState::kDrop);
  // A set holding a range is not decomposed: the rule references nothing.
  EXPECT_EQ(chain({{dport("tcp", {{"set", {22, {{"range", {80, 90}}}}}}), kAccept}})
                .classify(Proto::kTcp, 22),
            FilterState::kDrop);
  // Rules of other chains or tables are ignored.
  json rule = json::object();
  rule["table"] = "filter";
  rule["chain"] = "inbound";
  rule["expr"] = json::array({dport("tcp", 22), kAccept});
  json other = json::object();
  other["nftables"] = json::array({json{{"rule", rule}}});
  EXPECT_EQ(FilterClassifier::from_nft_json(other.dump()).classify(Proto::kTcp, 22),
            FilterState::kDrop);
}

TEST(FirewallState, OddJsonNeverThrows) {
  for (const char* t : {"{}", "[]", "null", "{\"nftables\":5}", "{\"nftables\":[1,\"x\",null]}",
                        "{\"nftables\":[{\"rule\":{\"table\":\"fips\",\"chain\":\"inbound\","
                        "\"expr\":[{\"match\":7},{\"match\":{\"left\":{\"payload\":3}}},"
                        "{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"tcp\","
                        "\"field\":\"dport\"}},\"right\":70000}},{\"accept\":null}]}}]}"}) {
    auto c = FilterClassifier::from_nft_json(t);
    EXPECT_TRUE(c.active()) << t;
    EXPECT_NE(c.classify(Proto::kTcp, 22), FilterState::kAccept) << t;
    EXPECT_NE(c.classify(Proto::kTcp, 70000 & 0xFFFF), FilterState::kAccept) << t;
  }
}

// ------------------------------------------------------------------ shape

TEST(Listening, ReplyShapeAsTheReferenceSerializes) {
  std::vector<Socket> v(2);
  v[0] = {Proto::kTcp, {}, 8080, 1, 42u, "python3", true};
  v[1] = {Proto::kUdp, kFips0, 2121, 2, std::nullopt, std::nullopt, false};
  auto fw = FilterClassifier::from_nft_json(fixture("nft_dropins.json"));
  EXPECT_EQ(listening::show_listening_sockets_data(kFips0, v, fw, 0).dump(),
            R"({"fips0_addr":"fd12:3456:789a:bcde:f012:3456:789a:bcde","firewall_active":true,)"
            R"("sockets":[{"filter":"drop","local_addr":"::","pid":42,"port":8080,)"
            R"("process":"python3","proto":"tcp","wildcard_bind":true},)"
            R"({"filter":"drop","local_addr":"fd12:3456:789a:bcde:f012:3456:789a:bcde",)"
            R"("pid":null,"port":2121,"process":null,"proto":"udp","wildcard_bind":false}]})");
  json d = listening::show_listening_sockets_data(kFips0, {}, FilterClassifier::no_firewall(), 3);
  EXPECT_EQ(d.dump(),
            R"({"fips0_addr":"fd12:3456:789a:bcde:f012:3456:789a:bcde","firewall_active":false,)"
            R"("skipped_lines":3,"sockets":[]})");
}

// ------------------------------------------------------------------ probe

// A /proc tree: net/tcp6 and net/udp6 from the fixtures, pid 300 holding
// inodes 1001 and 2001, pid 200 holding 2001 too (the lower pid wins),
// pid 400 unreadable (no fd directory).
void fake_proc(const test::TempDir& t) {
  t.write("proc/net/tcp6", fixture("tcp6.txt"));
  t.write("proc/net/udp6", fixture("udp6.txt"));
  t.write("proc/300/comm", "httpd\n");
  t.write("proc/200/comm", "avahi-daemon\n");
  t.write("proc/400/comm", "secret\n");
  std::filesystem::create_directories(t.path("proc/300/fd"));
  std::filesystem::create_directories(t.path("proc/200/fd"));
  ASSERT_EQ(::symlink("socket:[1001]", t.path("proc/300/fd/3").c_str()), 0);
  ASSERT_EQ(::symlink("socket:[2001]", t.path("proc/300/fd/4").c_str()), 0);
  ASSERT_EQ(::symlink("/dev/null", t.path("proc/300/fd/0").c_str()), 0);
  ASSERT_EQ(::symlink("socket:[2001]", t.path("proc/200/fd/7").c_str()), 0);
}

TEST(ListeningProbe, CollectsFromProcAndNft) {
  test::TempDir t;
  fake_proc(t);
  ListeningProbeOptions o;
  o.proc_root = t.path("proc");
  o.nft_argv = {"cat", std::string(FIPS_VECTORS_DIR) + "/listening/nft_dropins.json"};
  json d = collect_listening_sockets(kFips0, o);
  EXPECT_EQ(d["firewall_active"], true);
  EXPECT_EQ(d["skipped_lines"], 4);
  const json& s = d["sockets"];
  ASSERT_EQ(s.size(), 6u) << d.dump();
  // tcp 22 (fips0), tcp 8080, tcp 9001, udp 2121, udp 5353 x2
  EXPECT_EQ(s[0]["port"], 22);
  EXPECT_EQ(s[0]["filter"], "unknown");
  EXPECT_EQ(s[0]["pid"], nullptr);
  EXPECT_EQ(s[1]["port"], 8080);
  EXPECT_EQ(s[1]["pid"], 300);
  EXPECT_EQ(s[1]["process"], "httpd");
  EXPECT_EQ(s[3]["proto"], "udp");
  EXPECT_EQ(s[3]["port"], 2121);
  EXPECT_EQ(s[4]["port"], 5353);
  EXPECT_EQ(s[4]["pid"], nullptr);  // inode 2004: nobody
  EXPECT_EQ(s[5]["pid"], 200);      // inode 2001: pids 200 and 300 share it
  EXPECT_EQ(s[5]["process"], "avahi-daemon");
}

TEST(ListeningProbe, NftMissingFailingOrHangingMeansNoFirewall) {
  test::TempDir t;
  fake_proc(t);
  ListeningProbeOptions o;
  o.proc_root = t.path("proc");
  o.nft_argv = {"/nonexistent/nft"};
  EXPECT_EQ(collect_listening_sockets(kFips0, o)["firewall_active"], false);
  o.nft_argv = {"false"};
  EXPECT_FALSE(run_nft(o));
  o.nft_argv = {"sleep", "30"};
  o.nft_timeout_ms = 100;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(run_nft(o));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  o.nft_argv = {"head", "-c", "100000", "/dev/zero"};
  o.nft_timeout_ms = 5000;
  o.nft_max_output = 1000;
  EXPECT_FALSE(run_nft(o));
  o.nft_argv = {"echo", "{}"};
  o.nft_max_output = 1000;
  EXPECT_EQ(run_nft(o), "{}\n");
  // No /proc at all: an empty answer.
  o.proc_root = t.path("nothing");
  json d = collect_listening_sockets(kFips0, o);
  EXPECT_TRUE(d["sockets"].empty());
  EXPECT_EQ(d["firewall_active"], true);
}

TEST(ListeningProbe, AnswersOnTheLoopThreadAndSharesARunningCollection) {
  test::TempDir t;
  fake_proc(t);
  EventLoop loop;
  std::vector<std::pair<uint64_t, json>> answers;
  ListeningProbeOptions o;
  o.proc_root = t.path("proc");
  o.nft_argv = {"/nonexistent/nft"};
  const auto caller = std::this_thread::get_id();
  ListeningProbe probe(
      loop,
      [&](uint64_t ticket, json d) {
        EXPECT_EQ(std::this_thread::get_id(), caller);
        answers.emplace_back(ticket, std::move(d));
      },
      o);
  EXPECT_FALSE(probe.request(1, kFips0));
  EXPECT_FALSE(probe.request(2, kFips0));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (answers.size() < 2 && std::chrono::steady_clock::now() < deadline) loop.run_once(100);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].first, 1u);
  EXPECT_EQ(answers[1].first, 2u);
  EXPECT_EQ(answers[0].second, answers[1].second);
  EXPECT_EQ(answers[0].second["sockets"].size(), 6u);
  // A later request starts a fresh collection.
  EXPECT_FALSE(probe.request(3, kFips0));
  while (answers.size() < 3 && std::chrono::steady_clock::now() < deadline) loop.run_once(100);
  ASSERT_EQ(answers.size(), 3u);
}

}  // namespace
}  // namespace fips
