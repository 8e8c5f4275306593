// libFuzzer target: the items CSV reader (SPEC §12), behind a fixed models CSV.
// The input bytes are the items file.

#include <cstddef>
#include <cstdint>

#include "cod/io.hpp"
#include "fuzz_util.hpp"

namespace {

const char* kModels =
    "model,params,tokens,role\n"
    "m1,1e6,2e9,ladder\n"
    "m2,4e6,2e9,ladder\n"
    "m3,1e7,2e9,ladder\n"
    "t,1e8,2e9,target\n"
    "a,5e7,2e9,anchor\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::Scratch scratch;
  static const std::string models = scratch.write("models.csv", kModels);
  cod::DatasetFiles files;
  files.models = models;
  files.items = scratch.write("items.csv", data, size);
  try {
    const cod::Dataset ds = cod::read_dataset(files);
    fuzz::check_dataset(ds);
  } catch (const cod::Error& e) {
    fuzz::check_error(e);
  }
  return 0;
}
