// Generate a long-form items CSV (SPEC §12) and its models CSV for the reading benchmark.
// Rows are grouped like real exports (set, then model, then item); pass rates are
// n_correct/100 from a seeded difficulty-vs-ability model, written both as a pass rate and as
// counts, so the reader's agreement check runs on every row.
//
// usage: gen_items <out_dir> [rows=1000000] [sets=10] [models=50] [seed=1]
// Writes <out_dir>/models.csv and <out_dir>/items.csv (rows rounded down to sets*models*items).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: gen_items <out_dir> [rows=1000000] [sets=10] [models=50] [seed=1]\n");
    return 2;
  }
  const std::string out = argv[1];
  const long rows = argc > 2 ? std::atol(argv[2]) : 1000000;
  const int sets = argc > 3 ? std::atoi(argv[3]) : 10;
  const int models = argc > 4 ? std::atoi(argv[4]) : 50;
  const unsigned seed = argc > 5 ? static_cast<unsigned>(std::atol(argv[5])) : 1u;
  if (rows <= 0 || sets <= 0 || models <= 0) {
    std::fprintf(stderr, "gen_items: rows, sets and models must be positive\n");
    return 2;
  }
  const long items = rows / (static_cast<long>(sets) * models);
  std::filesystem::create_directories(out);
  std::mt19937_64 rng(seed);

  // Models: 10 sizes x (models/10) checkpoints, named like Pythia checkpoints.
  std::vector<std::string> names;
  std::vector<double> ability;
  {
    std::FILE* f = std::fopen((out + "/models.csv").c_str(), "w");
    std::fprintf(f, "model,params,tokens,compute_flops,role,family,size,step\n");
    const int per = std::max(1, models / 10);
    for (int m = 0; m < models; ++m) {
      const int size = m / per, ckpt = m % per;
      const double params = 1.4e7 * std::pow(2.0, size);
      const long step = 1000L * (ckpt + 1) * 14;
      const double tokens = step * 2097152.0;
      char name[96];
      std::snprintf(name, sizeof name, "synth-ladder-%.0fm-deduped@step%ld", params / 1e6, step);
      names.emplace_back(name);
      ability.push_back(-3.0 + 0.6 * size + 0.1 * ckpt);
      std::fprintf(f, "%s,%.0f,%.0f,,ladder,synth,%.0fm,%ld\n", name, params, tokens, params / 1e6, step);
    }
    std::fclose(f);
  }

  std::FILE* f = std::fopen((out + "/items.csv").c_str(), "w");
  std::vector<char> buf(1 << 20);
  std::setvbuf(f, buf.data(), _IOFBF, buf.size());
  std::fprintf(f, "benchmark,item_id,model,passrate,n_samples,n_correct\n");
  std::normal_distribution<double> N01(0.0, 1.0);
  for (int s = 0; s < sets; ++s) {
    char set_name[64];
    std::snprintf(set_name, sizeof set_name, "synth_task_%02d_5shot", s);
    std::vector<double> difficulty(static_cast<std::size_t>(items));
    for (auto& d : difficulty) d = 1.5 * N01(rng);
    for (int m = 0; m < models; ++m)
      for (long i = 0; i < items; ++i) {
        const double p = 1.0 / (1.0 + std::exp(difficulty[static_cast<std::size_t>(i)] - ability[static_cast<std::size_t>(m)]));
        std::binomial_distribution<int> B(100, p);
        const int k = B(rng);
        std::fprintf(f, "%s,%s/q%06ld,%s,%g,100,%d\n", set_name, set_name, i, names[static_cast<std::size_t>(m)].c_str(),
                     k / 100.0, k);
      }
  }
  std::fclose(f);
  std::printf("wrote %ld rows (%d sets x %d models x %ld items) to %s\n", sets * models * items, sets, models, items,
              out.c_str());
  return 0;
}
