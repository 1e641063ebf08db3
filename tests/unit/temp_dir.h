// A scratch directory for tests that read files (config, hosts, peer ACL),
// removed with everything in it when the test ends.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace fips::test {

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "fips-test-XXXXXX").string();
    if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
    root_ = t;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path(const std::string& rel) const { return root_ + "/" + rel; }
  // Writes (replacing) rel, creating parent directories; returns its path.
  std::string write(const std::string& rel, const std::string& text) const {
    std::string p = path(rel);
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    return p;
  }
  std::string read(const std::string& rel) const {
    std::ifstream f(path(rel));
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace fips::test
