// fipsctl: the operator's command-line client. Flags, request bytes, output
// and exit codes follow the reference's fipsctl (docs/spec/control.md §4): JSON
// replies are pretty-printed, daemon errors go to stderr as "error: ..." with
// exit 1, usage errors exit 2.
// Not here: the subcommands themselves (keys.cc, daemon.cc).
#include <cstdio>
#include <string>
#include <vector>

#include "config/paths.h"
#include "fipsctl.h"
#include "version.h"

namespace fipsctl {

int usage_error(const std::string& msg, const std::string& usage) {
  std::fprintf(stderr, "error: %s\n\nUsage: %s\n\nFor more information, try '--help'.\n",
               msg.c_str(), usage.c_str());
  return 2;
}

namespace {

constexpr const char* kHelp =
    "Control a running FIPS daemon\n"
    "\n"
    "Usage: fipsctl [OPTIONS] <COMMAND>\n"
    "\n"
    "Commands:\n"
    "  show        Show node information\n"
    "  acl         Show peer ACL information\n"
    "  keygen      Generate a new FIPS identity keypair\n"
    "  identity    Show npub, node_addr and IPv6 address for a key\n"
    "  connect     Connect to a peer\n"
    "  disconnect  Disconnect a peer\n"
    "  probe       Diagnose reachability of a mesh endpoint\n"
    "  help        Print this message or the help of the given subcommand(s)\n"
    "\n"
    "Options:\n"
    "  -s, --socket <SOCKET>  Control socket path override\n"
    "  -h, --help             Print help\n"
    "  -V, --version          Print version\n";

}  // namespace
}  // namespace fipsctl

int main(int argc, char** argv) {
  using namespace fipsctl;
  const Args args(argv + 1, argv + argc);
  std::string socket_path;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kHelp, stdout);
      return 0;
    }
    if (a == "-V" || a == "--version") {
      std::printf("fipsctl %s\n", FIPS_VERSION_STRING);
      return 0;
    }
    if (a == "-s" || a == "--socket") {
      if (i + 1 >= args.size())
        return usage_error("a value is required for '--socket <SOCKET>' but none was supplied",
                           "fipsctl [OPTIONS] <COMMAND>");
      socket_path = args[++i];
      continue;
    }
    if (a.rfind("--socket=", 0) == 0) {
      socket_path = a.substr(9);
      continue;
    }
    if (a.size() > 2 && a.rfind("-s", 0) == 0) {  // -sPATH / -s=PATH, as clap accepts
      socket_path = a.substr(a[2] == '=' ? 3 : 2);
      continue;
    }
    if (a.size() > 1 && a[0] == '-')
      return usage_error("unexpected argument '" + a + "' found", "fipsctl [OPTIONS] <COMMAND>");
    break;
  }
  if (i >= args.size()) {
    std::fputs(kHelp, stderr);
    return 2;
  }
  const std::string& cmd = args[i];
  const Args rest(args.begin() + static_cast<long>(i) + 1, args.end());
  if (cmd == "help") {
    std::fputs(kHelp, stdout);
    return 0;
  }
  if (cmd == "keygen") return cmd_keygen(rest);
  if (cmd == "identity") return cmd_identity(rest);
  if (socket_path.empty()) socket_path = fips::default_control_socket_path();
  if (cmd == "show") return cmd_show(socket_path, rest);
  if (cmd == "acl") return cmd_acl(socket_path, rest);
  if (cmd == "connect") return cmd_connect(socket_path, rest);
  if (cmd == "disconnect") return cmd_disconnect(socket_path, rest);
  if (cmd == "lookup") return cmd_lookup(socket_path, rest);
  if (cmd == "ping") return cmd_ping(socket_path, rest);
  if (cmd == "probe") return cmd_probe(socket_path, rest);
  if (cmd == "stats") return cmd_stats(socket_path, rest);
  return usage_error("unrecognized subcommand '" + cmd + "'", "fipsctl [OPTIONS] <COMMAND>");
}
