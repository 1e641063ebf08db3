// fipsctl commands that talk to the daemon: show, acl, connect, disconnect.
// Request bytes, output and exit codes follow the reference's fipsctl
// (control/client.h has the shared pieces).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <string>
#include <string_view>
#include <utility>

#include "control/client.h"
#include "fipsctl.h"

namespace fipsctl {
namespace {

using namespace fips;

constexpr const char* kHostsPath = "/etc/fips/hosts";

struct ShowEntry {
  const char* name;     // subcommand
  const char* command;  // control command
  const char* about;
};

constexpr ShowEntry kShow[] = {
    {"status", "show_status", "Node status overview"},
    {"peers", "show_peers", "Authenticated peers"},
    {"links", "show_links", "Active links"},
    {"tree", "show_tree", "Spanning tree state"},
    {"sessions", "show_sessions", "End-to-end sessions"},
    {"bloom", "show_bloom", "Bloom filter state"},
    {"mmp", "show_mmp", "MMP metrics summary"},
    {"cache", "show_cache", "Coordinate cache stats"},
    {"connections", "show_connections", "Pending handshake connections"},
    {"transports", "show_transports", "Transport instances"},
    {"routing", "show_routing", "Routing table summary"},
    {"identity-cache", "show_identity_cache", "Identity cache entries (known node pubkeys)"},
    {"native-flows", "show_native_flows", "Native datagram API flows and listeners"},
    // Ours: the reference answers show_listening_sockets (for fipstop) but
    // has no fipsctl subcommand for it.
    {"listening-sockets", "show_listening_sockets",
     "Local TCP/UDP listeners reachable over fips0 and the mesh firewall's verdict"},
};

int run(const std::string& socket_path, const std::string& request) {
  auto resp = send_control_request(socket_path, request);
  if (!resp) {
    std::fprintf(stderr, "error: %s\n", resp.error().c_str());
    return 1;
  }
  const CliOutput o = render_control_response(*resp);
  std::fputs(o.out.c_str(), stdout);
  std::fputs(o.err.c_str(), stderr);
  return o.exit_code;
}

bool is_help(const std::string& a) {
  return a == "-h" || a == "--help";
}

// Splits positionals from flags; only -h/--help is known. Returns 0 to go on,
// otherwise the exit code (help printed, or usage error).
int positionals(const Args& args, size_t want, const char* usage, const char* help,
                const char* const* names, Args& out) {
  bool rest_positional = false;
  for (const std::string& a : args) {
    if (!rest_positional && a == "--") {
      rest_positional = true;
    } else if (!rest_positional && is_help(a)) {
      std::fputs(help, stdout);
      return -1;
    } else if (!rest_positional && a.size() > 1 && a[0] == '-') {
      return usage_error("unexpected argument '" + a + "' found", usage);
    } else if (out.size() >= want) {
      return usage_error("unexpected argument '" + a + "' found", usage);
    } else {
      out.push_back(a);
    }
  }
  if (out.size() < want) {
    std::string msg = "the following required arguments were not provided:";
    for (size_t k = out.size(); k < want; ++k) msg += std::string("\n  ") + names[k];
    return usage_error(msg, usage);
  }
  return 0;
}

// npub1... as is; otherwise a hosts-file name.
std::optional<std::string> resolve_peer(const std::string& peer) {
  if (peer.rfind("npub1", 0) == 0) return peer;
  auto npub = lookup_hosts_npub(kHostsPath, peer);
  if (!npub) {
    std::fprintf(stderr, "error: unknown host '%s'\nNot found in %s and not an npub.\n",
                 peer.c_str(), kHostsPath);
  }
  return npub;
}

}  // namespace

int run_request(const std::string& socket_path, const std::string& request) {
  return run(socket_path, request);
}
std::optional<std::string> resolve_peer_arg(const std::string& peer) { return resolve_peer(peer); }

int cmd_show(const std::string& socket_path, const Args& args) {
  std::string help = "Show node information\n\nUsage: fipsctl show <COMMAND>\n\nCommands:\n";
  size_t width = 0;  // clap's: the longest name plus two
  for (const ShowEntry& e : kShow) width = std::max(width, std::string_view(e.name).size() + 2);
  auto line = [&](std::string name, const char* about) {
    name.resize(width, ' ');
    help += "  " + name + about + "\n";
  };
  for (const ShowEntry& e : kShow) line(e.name, e.about);
  line("help", "Print this message or the help of the given subcommand(s)");
  help += "\nOptions:\n  -h, --help  Print help\n";
  if (args.empty() || is_help(args[0]) || args[0] == "help") {
    if (!args.empty()) {
      std::fputs(help.c_str(), stdout);
      return 0;
    }
    std::fputs(help.c_str(), stderr);
    return 2;
  }
  const ShowEntry* entry = nullptr;
  for (const ShowEntry& e : kShow)
    if (args[0] == e.name) entry = &e;
  if (entry == nullptr)
    return usage_error("unrecognized subcommand '" + args[0] + "'", "fipsctl show <COMMAND>");
  if (args.size() > 1) {
    if (is_help(args[1])) {
      std::printf("%s\n\nUsage: fipsctl show %s\n\nOptions:\n  -h, --help  Print help\n",
                  entry->about, entry->name);
      return 0;
    }
    return usage_error("unexpected argument '" + args[1] + "' found",
                       std::string("fipsctl show ") + entry->name);
  }
  return run(socket_path, build_query_request(entry->command));
}

// `fipsctl GROUP SUB` for a group whose only subcommand SUB sends the query
// COMMAND: help on stdout (exit 0) or, without a subcommand, on stderr
// (exit 2); anything else is a usage error.
int single_query_group(const std::string& socket_path, const Args& args, const char* help,
                       const std::string& group, const std::string& sub, const char* command) {
  if (args.empty()) {
    std::fputs(help, stderr);
    return 2;
  }
  if (is_help(args[0]) || args[0] == "help") {
    std::fputs(help, stdout);
    return 0;
  }
  if (args[0] != sub)
    return usage_error("unrecognized subcommand '" + args[0] + "'", "fipsctl " + group + " <COMMAND>");
  if (args.size() > 1)
    return usage_error("unexpected argument '" + args[1] + "' found", "fipsctl " + group + " " + sub);
  return run(socket_path, build_query_request(command));
}

int cmd_acl(const std::string& socket_path, const Args& args) {
  static const char* kHelp =
      "Show peer ACL information\n\nUsage: fipsctl acl <COMMAND>\n\nCommands:\n"
      "  show  Loaded peer ACL state\n"
      "  help  Print this message or the help of the given subcommand(s)\n\n"
      "Options:\n  -h, --help  Print help\n";
  return single_query_group(socket_path, args, kHelp, "acl", "show", "show_acl");
}

int cmd_connect(const std::string& socket_path, const Args& args) {
  static const char* kUsage = "fipsctl connect <PEER> <ADDRESS> <TRANSPORT>";
  static const char* kHelp =
      "Connect to a peer\n\nUsage: fipsctl connect <PEER> <ADDRESS> <TRANSPORT>\n\n"
      "Arguments:\n"
      "  <PEER>       Peer identifier: npub (bech32) or hostname from /etc/fips/hosts\n"
      "  <ADDRESS>    Transport address (e.g., \"192.168.1.1:2121\")\n"
      "  <TRANSPORT>  Transport type: udp, tcp, tor, ethernet\n\n"
      "Options:\n  -h, --help  Print help\n";
  static const char* const kNames[] = {"<PEER>", "<ADDRESS>", "<TRANSPORT>"};
  Args pos;
  if (int rc = positionals(args, 3, kUsage, kHelp, kNames, pos); rc != 0) return rc < 0 ? 0 : rc;
  const std::string& address = pos[1];
  const std::string& transport = pos[2];
  if (auto bad = check_connect_address(address, transport)) {
    std::fprintf(stderr, "error: %s\n", bad->c_str());
    return 1;
  }
  auto npub = resolve_peer(pos[0]);
  if (!npub) return 1;
  nlohmann::json params{{"npub", *npub}, {"address", address}, {"transport", transport}};
  return run(socket_path, build_command_request("connect", params));
}

namespace {
constexpr const char* kPeerArgHelp =
    "Arguments:\n"
    "  <PEER>  Peer identifier: npub (bech32) or hostname from /etc/fips/hosts\n\n"
    "Options:\n  -h, --help  Print help\n";

// `fipsctl <command> <PEER>`: one positional, resolved to an npub, sent as
// {"npub": ...} to the control command of the same name.
int peer_command(const std::string& socket_path, const Args& args, const char* command,
                 const char* about) {
  const std::string usage = std::string("fipsctl ") + command + " <PEER>";
  const std::string help = std::string(about) + "\n\nUsage: " + usage + "\n\n" + kPeerArgHelp;
  static const char* const kNames[] = {"<PEER>"};
  Args pos;
  if (int rc = positionals(args, 1, usage.c_str(), help.c_str(), kNames, pos); rc != 0) return rc < 0 ? 0 : rc;
  auto npub = resolve_peer(pos[0]);
  if (!npub) return 1;
  return run(socket_path, build_command_request(command, nlohmann::json{{"npub", *npub}}));
}
}  // namespace

int cmd_disconnect(const std::string& socket_path, const Args& args) {
  return peer_command(socket_path, args, "disconnect", "Disconnect a peer");
}

int cmd_lookup(const std::string& socket_path, const Args& args) {
  return peer_command(socket_path, args, "lookup",
                      "Discover a node's tree coordinates through the mesh (ours; not in the reference)");
}

// fipsctl ping: echo requests over an FSP session, one control request each
// (the daemon answers when the reply arrives or after 3.5 s).
int cmd_ping(const std::string& socket_path, const Args& args) {
  static const char* kUsage = "fipsctl ping [-c COUNT] [-i SECONDS] <PEER>";
  static const char* kHelp =
      "Measure round-trip time to a node over an end-to-end session (ours; not in the reference)\n\n"
      "Usage: fipsctl ping [-c COUNT] [-i SECONDS] <PEER>\n\n"
      "Arguments:\n"
      "  <PEER>  Peer identifier: npub (bech32) or hostname from /etc/fips/hosts\n\n"
      "Options:\n"
      "  -c <COUNT>    Echo requests to send [default: 4]\n"
      "  -i <SECONDS>  Interval between requests [default: 1]\n"
      "  -h, --help    Print help\n";
  long count = 4;
  double interval = 1.0;
  Args pos;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (is_help(a)) {
      std::fputs(kHelp, stdout);
      return 0;
    }
    if ((a == "-c" || a == "-i") && i + 1 < args.size()) {
      const std::string& v = args[++i];
      char* end = nullptr;
      if (a == "-c") count = std::strtol(v.c_str(), &end, 10);
      else interval = std::strtod(v.c_str(), &end);
      if (!end || *end != '\0' || count < 1 || count > 100000 || !(interval >= 0.0 && interval <= 3600.0))
        return usage_error("invalid value '" + v + "' for '" + a + "'", kUsage);
      continue;
    }
    if (a.size() > 1 && a[0] == '-') return usage_error("unexpected argument '" + a + "' found", kUsage);
    pos.push_back(a);
  }
  if (pos.size() != 1)
    return usage_error(pos.empty() ? "the following required arguments were not provided:\n  <PEER>"
                                   : "unexpected argument '" + pos[1] + "' found",
                       kUsage);
  auto npub = resolve_peer(pos[0]);
  if (!npub) return 1;
  std::printf("PING %s over a FIPS session\n", npub->c_str());
  std::fflush(stdout);
  long sent = 0, received = 0;
  double mn = 0, mx = 0, sum = 0;
  const std::string req = build_command_request("ping", nlohmann::json{{"npub", *npub}});
  for (long seq = 1; seq <= count; ++seq) {
    ++sent;
    auto resp = send_control_request(socket_path, req, 6000);
    if (!resp) {
      std::fprintf(stderr, "error: %s\n", resp.error().c_str());
      return 1;
    }
    const nlohmann::json& r = *resp;
    if (r.value("status", "") == "ok" && r.contains("data") && r["data"].contains("rtt_ms")) {
      const double rtt = r["data"]["rtt_ms"].get<double>();
      ++received;
      mn = received == 1 ? rtt : std::min(mn, rtt);
      mx = std::max(mx, rtt);
      sum += rtt;
      std::printf("%zu bytes from %s: seq=%ld time=%.3f ms\n", r["data"].value("bytes", size_t{0}),
                  r["data"].value("node_addr", std::string("?")).c_str(), seq, rtt);
    } else {
      std::printf("seq=%ld: %s\n", seq, r.value("message", std::string("no reply")).c_str());
    }
    std::fflush(stdout);
    if (seq < count && interval > 0)
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(interval * 1e6)));
  }
  std::printf("--- %s ping statistics ---\n%ld transmitted, %ld received, %.0f%% packet loss\n",
              npub->c_str(), sent, received, 100.0 * static_cast<double>(sent - received) / static_cast<double>(sent));
  if (received > 0)
    std::printf("rtt min/avg/max = %.3f/%.3f/%.3f ms\n", mn, sum / static_cast<double>(received), mx);
  return received > 0 ? 0 : 1;
}

// The reference's list/metrics/peers/history (history: stats.cc).
int cmd_stats(const std::string& socket_path, const Args& args) {
  static const char* kHelp =
      "Query historical node statistics\n\nUsage: fipsctl stats <COMMAND>\n\nCommands:\n"
      "  list     List available history metrics\n"
      "  metrics  Dump current counter values for every protocol metric family\n"
      "  peers    List peers tracked in the stats history\n"
      "  history  Fetch a time-series window for a metric\n"
      "  help     Print this message or the help of the given subcommand(s)\n\n"
      "Options:\n  -h, --help  Print help\n";
  static const char* const kSubs[][2] = {
      {"list", "show_stats_list"}, {"metrics", "show_metrics"}, {"peers", "show_stats_peers"}};
  if (!args.empty() && args[0] == "history")
    return cmd_stats_history(socket_path, Args(args.begin() + 1, args.end()));
  if (!args.empty())
    for (const auto& s : kSubs)
      if (args[0] == s[0]) return single_query_group(socket_path, args, kHelp, "stats", s[0], s[1]);
  return single_query_group(socket_path, args, kHelp, "stats", "metrics", "show_metrics");
}

}  // namespace fipsctl
