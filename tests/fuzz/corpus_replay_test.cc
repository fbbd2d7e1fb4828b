// Runs every file of the corpus directories named on the command line through the fuzz
// target linked in (LLVMFuzzerTestOneInput), once each. This makes the seed corpora, and the
// inputs of crashes found and fixed (kept in the corpora), regression tests of the normal
// build and of `bazel test --config=asan`, with no libFuzzer involved: a broken invariant
// aborts the test (FUZZ_CHECK), naming the file in the log just before.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::string>* corpus_dirs = new std::vector<std::string>();

TEST(FuzzCorpus, EveryInputRunsCleanly) {
  ASSERT_FALSE(corpus_dirs->empty()) << "usage: corpus_replay_test <corpus dir>...";
  std::vector<std::filesystem::path> files;
  for (const std::string& dir : *corpus_dirs) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no corpus files";
  for (const std::filesystem::path& path : files) {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "cannot read " << path;
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "running %s (%zu bytes)\n", path.c_str(), bytes.size());
    // A copy of exactly the file's size: AddressSanitizer sees a read past its end.
    std::vector<uint8_t> data(bytes.begin(), bytes.end());
    EXPECT_EQ(LLVMFuzzerTestOneInput(data.data(), data.size()), 0) << path;
  }
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) corpus_dirs->push_back(argv[i]);
  return RUN_ALL_TESTS();
}
