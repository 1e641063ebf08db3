// fipstop's "Listening on fips0" panel (see render_listening.h).
#include "render_listening.h"

#include <algorithm>
#include <string>

namespace fipstop {
namespace {

using nlohmann::json;

constexpr int kMinPanelWidth = 36;

const json* field(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}
std::string text(const json* j) {
  if (!j) return "";
  if (j->is_string()) return j->get<std::string>();
  if (j->is_number_unsigned()) return std::to_string(j->get<uint64_t>());
  if (j->is_number_integer()) return std::to_string(j->get<int64_t>());
  return "";
}

// "not available from this daemon: <error>" over as many lines as it takes.
void wrap(std::vector<ScreenLine>& out, const std::string& msg, int width, Style style) {
  std::string line = " ";
  size_t i = 0;
  while (i < msg.size()) {
    size_t j = msg.find(' ', i);
    if (j == std::string::npos) j = msg.size();
    const std::string word = msg.substr(i, j - i);
    if (line.size() > 1 && display_width(line) + 1 + display_width(word) > width) {
      out.push_back({fit(line, width), style});
      line = "   ";
    }
    line += (line.back() == ' ' ? "" : " ") + word;
    i = j + 1;
  }
  if (line.find_first_not_of(' ') != std::string::npos) out.push_back({fit(line, width), style});
}

}  // namespace

std::vector<ScreenLine> listening_panel(const Reply* r, int width) {
  std::vector<ScreenLine> out;
  out.push_back({fit("-- Listening on fips0 --", width), Style::kHeader});
  if (!r) {
    out.push_back({fit("  loading...", width), Style::kDim});
    return out;
  }
  if (!r->ok) {
    wrap(out, (r->daemon_error ? "not available from this daemon: " : "daemon unreachable: ") + r->error,
         width, Style::kDim);
    return out;
  }
  const json* active = field(r->data, "firewall_active");
  // Absent or not a boolean: assume active, as the reference (no false alarm).
  if (active && active->is_boolean() && !active->get<bool>())
    wrap(out, "! fips-firewall.service inactive - all listeners exposed", width, Style::kAlert);
  const json* socks = field(r->data, "sockets");
  if (!socks || !socks->is_array() || socks->empty()) {
    out.push_back({fit("  no listeners reachable from fips0", width), Style::kDim});
    return out;
  }
  const int proc_w = std::clamp(width - 20, 8, 24);
  auto row = [&](const std::string& proto, const std::string& port, const std::string& proc,
                 const std::string& state) {
    return fit("  " + fit(proto, 5) + " " + fit(port, 5) + " " + fit(proc, proc_w) + " " + state,
               width);
  };
  out.push_back({row("Proto", "Port", "Process", "State"), Style::kHeader});
  int shown = 0;
  for (const json& s : *socks) {
    if (shown == kListeningRows) {
      out.push_back({fit("  +" + std::to_string(socks->size() - static_cast<size_t>(shown)) +
                             " more: fipsctl show listening-sockets",
                         width),
                     Style::kDim});
      break;
    }
    ++shown;
    const json* pid = field(s, "pid");
    const json* name = field(s, "process");
    std::string proc = pid ? (name && name->is_string() ? text(name) : "?") + "(" + text(pid) + ")" : "?";
    const json* wild = field(s, "wildcard_bind");
    if (pid && wild && wild->is_boolean() && wild->get<bool>()) proc += " *";
    const json* f = field(s, "filter");
    const std::string filter = f && f->is_string() ? f->get<std::string>() : "drop";
    const bool open = filter == "accept" || filter == "no_firewall";
    const char* state = open                  ? "OPEN"
                        : filter == "drop"    ? "filt"
                        : filter == "unknown" ? "filt?"
                                              : "?";
    std::string proto = text(field(s, "proto")), port = text(field(s, "port"));
    out.push_back({row(proto.empty() ? "-" : proto, port.empty() ? "-" : port, proc, state),
                   open ? Style::kNormal : Style::kDim});
  }
  return out;
}

void place_listening_panel(std::vector<ScreenLine>& lines, const Reply* r, int width) {
  size_t at = lines.size();
  for (size_t i = lines.size(); i-- > 0;)
    if (lines[i].text == "-- Traffic --") {
      at = i;
      break;
    }
  int left_w = 0;
  for (size_t i = at; i < lines.size(); ++i) left_w = std::max(left_w, display_width(lines[i].text));
  left_w += 2;
  const int right_w = width - left_w;
  if (at == lines.size() || right_w < kMinPanelWidth) {
    auto panel = listening_panel(r, width);
    lines.insert(lines.end(), panel.begin(), panel.end());
    return;
  }
  // Side by side, one style per line: the left's, unless the panel's line
  // is an alert, or the left is out of lines.
  const auto panel = listening_panel(r, right_w);
  std::vector<ScreenLine> left(lines.begin() + static_cast<std::ptrdiff_t>(at), lines.end());
  lines.resize(at);
  for (size_t i = 0; i < std::max(left.size(), panel.size()); ++i) {
    const bool has_l = i < left.size(), has_r = i < panel.size();
    ScreenLine m;
    m.text = fit(has_l ? left[i].text : "", left_w) + (has_r ? panel[i].text : "");
    m.style = has_r && (panel[i].style == Style::kAlert || !has_l) ? panel[i].style
                                                                   : left[i].style;
    while (!m.text.empty() && m.text.back() == ' ') m.text.pop_back();
    lines.push_back(std::move(m));
  }
}

}  // namespace fipstop
