// Benchmark of the readers (io.hpp): time to load an items CSV dataset folder or an lm-eval
// --log_samples folder, and the throughput in MB/s of input. Peak memory is measured from
// outside with /usr/bin/time -v (see run_read_bench.sh).
//
// usage: read_bench items  <dataset_dir> [repeats=3]
//        read_bench lmeval <dir> [repeats=3] [metric=acc] [filter=none]
//          (<dir>/models.csv and <dir>/samples/<model>/samples_<task>_<date>.jsonl)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cod/error.hpp"
#include "cod/io.hpp"

namespace {

double input_bytes(const std::filesystem::path& p) {
  namespace fs = std::filesystem;
  if (fs::is_regular_file(p)) return static_cast<double>(fs::file_size(p));
  double total = 0;
  for (const auto& e : fs::recursive_directory_iterator(p))
    if (e.is_regular_file()) total += static_cast<double>(e.file_size());
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: read_bench items <dataset_dir> [repeats=3]\n"
                 "       read_bench lmeval <dir> [repeats=3] [metric=acc] [filter=none]\n");
    return 2;
  }
  const std::string mode = argv[1], dir = argv[2];
  const int repeats = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
  try {
    cod::DatasetFiles files;
    files.models = dir + "/models.csv";
    double bytes = 0;
    if (mode == "items") {
      files.items = dir + "/items.csv";
      bytes = input_bytes(*files.items);
    } else if (mode == "lmeval") {
      files.lmeval_dir = dir + "/samples";
      if (argc > 4) files.lmeval.metric = argv[4];
      if (argc > 5) files.lmeval.filter = argv[5];
      bytes = input_bytes(*files.lmeval_dir);
    } else {
      std::fprintf(stderr, "read_bench: unknown mode '%s' (expected items or lmeval)\n", mode.c_str());
      return 2;
    }
    double best = 1e300;
    for (int r = 0; r < repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      const cod::Dataset ds = cod::read_dataset(files);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::min(best, s);
      std::size_t items = 0, cells = 0;
      for (const auto& set : ds.sets) {
        items += set.items.size();
        cells += static_cast<std::size_t>(set.pass.size());
      }
      std::printf("run %d: %.3f s, %.1f MB/s  (%zu sets, %zu items, %zu models, %zu cells)\n", r + 1, s,
                  bytes / 1e6 / s, ds.sets.size(), items, ds.models.size(), cells);
    }
    std::printf("%s: input %.1f MB, best %.3f s, %.1f MB/s\n", mode.c_str(), bytes / 1e6, best, bytes / 1e6 / best);
  } catch (const cod::Error& e) {
    std::fprintf(stderr, "read_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
