// Helpers for the control-socket tests: fixture files under
// tests/vectors/control/.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fips::test {

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
