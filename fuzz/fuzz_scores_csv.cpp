// libFuzzer target: the scores CSV reader (SPEC §12), behind a fixed models CSV, alone
// and together with a fixed items CSV (scores then join the item sets).

#include <cstddef>
#include <cstdint>

#include "cod/io.hpp"
#include "fuzz_util.hpp"

namespace {

const char* kModels =
    "model,params,tokens,role\n"
    "m1,1e6,2e9,ladder\n"
    "m2,4e6,2e9,ladder\n"
    "t,1e8,2e9,target\n";
const char* kItems =
    "benchmark,item_id,model,passrate\n"
    "s,q1,m1,0.1\ns,q2,m1,0\ns,q1,m2,0.5\ns,q2,m2,0.25\ns,q1,t,1\ns,q2,t,1\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::Scratch scratch;
  static const std::string models = scratch.write("models.csv", kModels);
  static const std::string items = scratch.write("items.csv", kItems);
  cod::DatasetFiles files;
  files.models = models;
  files.scores = scratch.write("scores.csv", data, size);
  for (int with_items = 0; with_items < 2; ++with_items) {
    if (with_items) files.items = items;
    try {
      const cod::Dataset ds = cod::read_dataset(files);
      fuzz::check_dataset(ds);
      for (const cod::EvalSet& s : ds.sets) {
        for (double v : s.scores) {
          if (!std::isnan(v) && !(v >= 0.0 && v <= 1.0)) fuzz::bug("a score outside [0, 1] was accepted");
        }
      }
    } catch (const cod::Error& e) {
      fuzz::check_error(e);
    }
  }
  return 0;
}
