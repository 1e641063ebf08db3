// fipsctl internals shared between its source files. Each cmd_* takes the
// arguments after its subcommand name and returns the process exit code
// (0 ok, 1 runtime error, 2 usage error, as clap does in the reference).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace fipsctl {

using Args = std::vector<std::string>;

// keys.cc: no daemon needed.
int cmd_keygen(const Args& args);
int cmd_identity(const Args& args);

// daemon.cc: talk to the control socket at socket_path.
int cmd_show(const std::string& socket_path, const Args& args);
int cmd_acl(const std::string& socket_path, const Args& args);
int cmd_connect(const std::string& socket_path, const Args& args);
int cmd_disconnect(const std::string& socket_path, const Args& args);
int cmd_lookup(const std::string& socket_path, const Args& args);
int cmd_ping(const std::string& socket_path, const Args& args);
// probe.cc: `probe <TARGET> [--json] [--timeout SECS]`.
int cmd_probe(const std::string& socket_path, const Args& args);
int cmd_stats(const std::string& socket_path, const Args& args);
// stats.cc: `stats history`.
int cmd_stats_history(const std::string& socket_path, const Args& args);
// daemon.cc helpers shared with stats.cc: send one request and print the
// reply as every command does (exit code as the reference); a <PEER>
// argument as an npub (hosts-file names resolved; an error printed if not).
int run_request(const std::string& socket_path, const std::string& request);
std::optional<std::string> resolve_peer_arg(const std::string& peer);

// main.cc: clap-style usage error ("error: <msg>\n\nUsage: <usage>\n\nFor
// more information, try '--help'.") on stderr; returns 2.
int usage_error(const std::string& msg, const std::string& usage);

}  // namespace fipsctl
