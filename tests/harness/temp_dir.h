// TempDir: a fresh directory under /tmp (or `base`: /dev/shm for persistent-memory pools),
// removed with everything in it when the test ends.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace tierkv::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "tierkv-test", const std::string& base = "/tmp") {
    std::string pattern = base + "/" + prefix + "-XXXXXX";
    const char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tierkv::testing
