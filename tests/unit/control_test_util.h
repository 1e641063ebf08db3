// Helpers for the control-socket tests: fixture files under
// tests/vectors/control/.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "node/snapshot.h"

namespace fips::test {

// A peer's MMP metrics with the fields the show_peers / show_mmp fixtures use.
inline MmpSnapshot mmp_snapshot(double srtt, double fwd, double rev, double etx, double goodput,
                                double s_loss, double s_etx) {
  MmpSnapshot m;
  m.srtt_ms = srtt;
  m.delivery_ratio_forward = fwd;
  m.delivery_ratio_reverse = rev;
  m.etx = etx;
  m.goodput_bps = goodput;
  m.smoothed_loss = s_loss;
  m.smoothed_etx = s_etx;
  return m;
}

inline std::string control_fixture(const std::string& name) {
  std::ifstream f(std::string(FIPS_VECTORS_DIR) + "/control/" + name, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open control fixture " + name);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline std::vector<std::string> control_fixture_lines(const std::string& name) {
  std::istringstream in(control_fixture(name));
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

}  // namespace fips::test
