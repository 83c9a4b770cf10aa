// File helpers: atomic replacement keeps the old content on failure and leaves no temporary
// file behind; ParentDirectory's edge cases.
#include "harness/temp_dir.h"
#include "tiering/file_io.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace tierkv {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

size_t FilesIn(const std::string& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(FileIoTest, WriteFileAtomicallyCreatesAndReplacesWithNoTemporaryLeft) {
  TempDir dir;
  const std::string path = dir.path() + "/file";
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  EXPECT_EQ(ReadFile(path), "first");
  ASSERT_TRUE(WriteFileAtomically(path, std::string(1 << 20, 'x')).ok());
  EXPECT_EQ(ReadFile(path), std::string(1 << 20, 'x'));
  EXPECT_EQ(FilesIn(dir.path()), 1u);
}

TEST(FileIoTest, AFailedRenameKeepsWhatWasThereAndRemovesTheTemporary) {
  TempDir dir;
  // A non-empty directory cannot be renamed over: the write succeeds, the rename fails.
  const std::string path = dir.path() + "/occupied";
  fs::create_directory(path);
  std::ofstream(path + "/inside") << "kept";
  const Status status = WriteFileAtomically(path, "new");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("rename"), std::string::npos) << status.message();
  EXPECT_TRUE(fs::is_directory(path));
  EXPECT_EQ(ReadFile(path + "/inside"), "kept");
  EXPECT_EQ(FilesIn(dir.path()), 1u);
}

TEST(FileIoTest, AMissingDirectoryIsAnErrorNamingTheTemporary) {
  const Status status = WriteFileAtomically("/nonexistent-dir-for-tierkv/file", "x");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/nonexistent-dir-for-tierkv/file.tmp."), std::string::npos) << status.message();
}

TEST(FileIoTest, ParentDirectory) {
  EXPECT_EQ(ParentDirectory("a/b"), "a");
  EXPECT_EQ(ParentDirectory("a/b/"), "a");
  EXPECT_EQ(ParentDirectory("/b"), "/");
  EXPECT_EQ(ParentDirectory("b"), ".");
  EXPECT_EQ(ParentDirectory("/"), "/");
}

}  // namespace
}  // namespace tierkv
