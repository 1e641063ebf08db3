// `fipsctl probe <TARGET> [--json] [--timeout SECS]` (reference
// src/bin/fipsctl.rs run_probe): start a probe (probe_start), poll it every
// 250 ms (probe_poll) until it is done or the client ceiling (the daemon's
// budget + 5 s, or --timeout) passes, then cancel it (probe_cancel) and fail.
// --json prints the final report as one JSON document; otherwise the report
// is rendered as text: target, one row per stage, the locally computed path,
// cleanup and the overall verdict. Exit 0 when overall is "ok", else 1.
// Difference from the reference: no live redraw of the stage rows while the
// probe runs (they are printed once, at the end) and a plainer path line
// (no highlighted tree walk).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "control/client.h"
#include "control/json_out.h"
#include "fipsctl.h"

namespace fipsctl {
namespace {

using nlohmann::json;

std::string str(const json& v, const char* k) {
  auto it = v.find(k);
  return it != v.end() && it->is_string() ? it->get<std::string>() : std::string();
}
std::string num(const json& v, const char* k) {
  auto it = v.find(k);
  return it != v.end() && it->is_number() ? it->dump() : std::string("-");
}
std::string short_addr(const std::string& a) { return a.substr(0, 8); }

// Root first, "a > b > c [marker]".
std::string coords_line(const json& coords, const char* marker) {
  if (!coords.is_array() || coords.empty()) return "-";
  std::string out;
  for (size_t i = coords.size(); i-- > 0;) {
    if (!out.empty()) out += " > ";
    out += short_addr(coords[i].is_string() ? coords[i].get<std::string>() : "");
  }
  return out + (coords.size() == 1 ? " [root]" : std::string(" [") + marker + "]");
}

std::string stage_note(const std::string& name, const json& s) {
  if (name == "bloom" && s.contains("fanout") && s["fanout"].is_number())
    return "lookup sent to " + s["fanout"].dump() + " peer(s)";
  if (name == "discovery" && s.contains("source") && s["source"].is_string())
    return "coordinates from " + s["source"].get<std::string>() +
           (s["attempts"].is_number() ? ", attempt " + s["attempts"].dump() : "");
  if (name == "session" && s.value("established", false))
    return s.value("preexisting", false) ? "established (already there)" : "established";
  if (name == "rtt" && s.contains("rtt_ms"))
    return "rtt " + s["rtt_ms"].dump() + " ms" +
           (s.contains("srtt_ms") ? ", srtt " + num(s, "srtt_ms") + " ms" : std::string());
  return {};
}

void render(const json& r) {
  const json& t = r.contains("target") ? r["target"] : json::object();
  std::printf("probe %s (%s)\n  node_addr  %s\n  ipv6       %s\n\n", str(t, "display_name").c_str(),
              str(t, "npub").c_str(), str(t, "node_addr").c_str(), str(t, "ipv6_addr").c_str());
  for (const char* name : {"bloom", "discovery", "path", "session", "rtt"}) {
    const json& s = r.contains(name) ? r[name] : json::object();
    const std::string reason = str(s, "reason");
    if (reason == "not_reached" && std::string(name) != "bloom") continue;  // said by the failed row
    std::string note = stage_note(name, s);
    if (!reason.empty()) note = reason + (note.empty() ? "" : "; " + note);
    if (s.contains("detail") && s["detail"].is_string()) note += ": " + s["detail"].get<std::string>();
    std::printf("  %-10s %-8s %8s ms  %s\n", name, str(s, "verdict").c_str(), num(s, "elapsed_ms").c_str(),
                note.c_str());
  }
  const json& p = r.contains("path") ? r["path"] : json::object();
  if (str(p, "reason") != "not_reached") {
    std::printf("\npath (locally computed: the route this node WOULD select, not a traceroute)\n");
    if (p.value("coords_known", false)) {
      std::printf("  ours       %s   depth %s\n", coords_line(p["our_coords"], "self").c_str(),
                  num(p, "our_depth").c_str());
      std::printf("  theirs     %s   depth %s\n", coords_line(p["their_coords"], "target").c_str(),
                  num(p, "their_depth").c_str());
      if (p["lca"].is_string())
        std::printf("  tree walk  %s up, %s down via %s (tree distance %s, an upper bound)\n",
                    num(p, "tree_hops_up").c_str(), num(p, "tree_hops_down").c_str(),
                    short_addr(str(p, "lca")).c_str(), num(p, "tree_distance").c_str());
      else
        std::printf("  tree walk  none (different spanning-tree roots)\n");
    } else {
      std::printf("  coords     none cached for this target\n");
    }
    if (p.contains("next_hop") && p["next_hop"].is_object()) {
      const json& h = p["next_hop"];
      std::printf("  next hop   %s (%s)  class %s\n", short_addr(str(h, "node_addr")).c_str(),
                  str(h, "display_name").c_str(), str(h, "class").c_str());
    } else {
      std::printf("  next hop   none (%s)\n", str(p, "no_hop_reason").c_str());
    }
    if (r.contains("session") && r["session"].contains("path_mtu"))
      std::printf("  path mtu   %s bytes (observed)\n", num(r["session"], "path_mtu").c_str());
  }
  const json& c = r.contains("cleanup") ? r["cleanup"] : json::object();
  std::string cleanup = "nothing to clean up";
  if (c.value("session_created_and_torn_down", false))
    cleanup = "session was opened by this probe and has been torn down";
  else if (c.contains("left_intact_reason") && c["left_intact_reason"].is_string())
    cleanup = "session left in place (" + c["left_intact_reason"].get<std::string>() + ")";
  std::printf("\ncleanup   %s\n", cleanup.c_str());
  std::printf("overall   %s  (%s ms; stage timings are quantized to the %s ms tick)\n",
              str(r, "overall").c_str(), num(r, "elapsed_ms").c_str(), num(r, "tick_ms").c_str());
}

// The reply's data, or prints the daemon's error and returns nullopt.
std::optional<json> data_of(const fips::Result<json, std::string>& resp) {
  if (!resp) {
    std::fprintf(stderr, "error: %s\n", resp.error().c_str());
    return std::nullopt;
  }
  if (resp->value("status", "") != "ok") {
    std::fprintf(stderr, "error: %s\n", resp->value("message", std::string("unknown error")).c_str());
    return std::nullopt;
  }
  return resp->contains("data") ? (*resp)["data"] : json();
}

}  // namespace

int cmd_probe(const std::string& socket_path, const Args& args) {
  static const char* kUsage = "fipsctl probe [OPTIONS] <TARGET>";
  static const char* kHelp =
      "Diagnose reachability of a mesh endpoint\n\n"
      "Usage: fipsctl probe [OPTIONS] <TARGET>\n\n"
      "Arguments:\n"
      "  <TARGET>  Target identifier: npub (bech32) or hostname from /etc/fips/hosts\n\n"
      "Options:\n"
      "      --json               Emit the report as JSON instead of human-readable text\n"
      "      --timeout <TIMEOUT>  Client-side ceiling in seconds. Defaults to the daemon's own\n"
      "                           computed budget, which scales with its tick interval\n"
      "  -h, --help               Print help\n";
  bool as_json = false;
  std::optional<uint64_t> timeout_s;
  Args pos;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kHelp, stdout);
      return 0;
    }
    if (a == "--json") {
      as_json = true;
      continue;
    }
    if (a == "--timeout" || a.rfind("--timeout=", 0) == 0) {
      std::string v;
      if (a == "--timeout") {
        if (i + 1 >= args.size())
          return usage_error("a value is required for '--timeout <TIMEOUT>' but none was supplied", kUsage);
        v = args[++i];
      } else {
        v = a.substr(10);
      }
      char* end = nullptr;
      const unsigned long long s = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || !end || *end != '\0' || v[0] == '-')
        return usage_error("invalid value '" + v + "' for '--timeout <TIMEOUT>': invalid digit found in string",
                           kUsage);
      timeout_s = s;
      continue;
    }
    if (a.size() > 1 && a[0] == '-') return usage_error("unexpected argument '" + a + "' found", kUsage);
    pos.push_back(a);
  }
  if (pos.size() != 1)
    return usage_error(pos.empty() ? "the following required arguments were not provided:\n  <TARGET>"
                                   : "unexpected argument '" + pos[1] + "' found",
                       kUsage);
  auto npub = resolve_peer_arg(pos[0]);
  if (!npub) return 1;
  auto started = data_of(fips::send_control_request(
      socket_path, fips::build_command_request("probe_start", json{{"npub", *npub}})));
  if (!started) return 1;
  const uint64_t id = started->value("probe_id", uint64_t{0});
  const uint64_t budget = started->value("budget_ms", uint64_t{30'000});
  const uint64_t ceiling_ms = timeout_s ? *timeout_s * 1000 : budget + 5'000;
  const std::string poll = fips::build_command_request("probe_poll", json{{"probe_id", id}});
  for (uint64_t waited = 0;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    waited += 250;
    auto d = data_of(fips::send_control_request(socket_path, poll));
    if (!d) return 1;
    if (d->value("state", "") == "done") {
      const json report = d->contains("report") ? (*d)["report"] : json();
      if (as_json) std::printf("%s\n", fips::json_pretty(report).c_str());
      else render(report);
      return report.value("overall", "") == "ok" ? 0 : 1;
    }
    if (waited >= ceiling_ms) {  // best effort: the daemon's own deadline cleans up anyway
      (void)fips::send_control_request(socket_path,
                                       fips::build_command_request("probe_cancel", json{{"probe_id", id}}));
      std::fprintf(stderr, "error: probe did not complete within %llu ms\n",
                   static_cast<unsigned long long>(ceiling_ms));
      return 1;
    }
  }
}

}  // namespace fipsctl
