// The metadata line of a function library and the names Redis allows.
#include "server/scripting/function_library.h"

#include <gtest/gtest.h>

namespace tierkv {
namespace {

TEST(FunctionLibraryTest, MetadataNamesEngineAndLibrary) {
  LibraryMetadata metadata;
  EXPECT_EQ(ParseLibraryMetadata("#!lua name=mylib\nbody", &metadata), "");
  EXPECT_EQ(metadata.engine, "lua");
  EXPECT_EQ(metadata.name, "mylib");
  EXPECT_EQ(ParseLibraryMetadata("#!LUA   NAME=Other  \n", &metadata), "");
  EXPECT_EQ(metadata.engine, "LUA");
  EXPECT_EQ(metadata.name, "Other");
}

TEST(FunctionLibraryTest, BadMetadataGetsRedissTexts) {
  LibraryMetadata metadata;
  EXPECT_EQ(ParseLibraryMetadata("return 1", &metadata), "Missing library metadata");
  EXPECT_EQ(ParseLibraryMetadata("#!lua name=a", &metadata), "Invalid library metadata");
  EXPECT_EQ(ParseLibraryMetadata("#!\n", &metadata), "Library name was not given");  // engine "", as Redis
  EXPECT_EQ(ParseLibraryMetadata("#!lua\n", &metadata), "Library name was not given");
  EXPECT_EQ(ParseLibraryMetadata("#!lua x=1\n", &metadata), "Invalid metadata value given: x=1");
  EXPECT_EQ(ParseLibraryMetadata("#!lua name=a name=b\n", &metadata),
            "Invalid metadata value, name argument was given multiple times");
}

TEST(FunctionLibraryTest, NamesAreLettersDigitsAndUnderscores) {
  EXPECT_TRUE(IsValidFunctionName("a_1_B"));
  EXPECT_FALSE(IsValidFunctionName(""));
  EXPECT_FALSE(IsValidFunctionName("a-b"));
  EXPECT_FALSE(IsValidFunctionName("a b"));
  EXPECT_FALSE(IsValidFunctionName("é"));
}

}  // namespace
}  // namespace tierkv
