// Generate an lm-evaluation-harness `--log_samples` folder for the reading benchmark:
// <out_dir>/samples/<model>/samples_<task>_<date>.jsonl with lines shaped like lm-eval 0.4's
// (doc_id, doc, target, arguments, resps, filtered_resps, filter, metrics, hashes, acc, acc_norm),
// plus <out_dir>/models.csv. Multiple-choice tasks, metric "acc", filter "none"; the last model
// has a second run (another date) of every task, so repeats are averaged too.
//
// usage: gen_lmeval <out_dir> [megabytes=200] [models=8] [seed=1]

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace {

const char* kWords[] = {"the",     "model",   "energy",   "planet",  "water",    "cell",     "light",   "force",
                        "student", "measure", "increase", "change",  "result",   "surface",  "between", "which",
                        "animal",  "plant",   "heat",     "rock",    "layer",    "weather",  "system",  "process",
                        "observe", "sample",  "mass",     "volume",  "question", "answer",   "because", "most"};

std::string sentence(std::mt19937_64& rng, int words) {
  std::uniform_int_distribution<int> W(0, static_cast<int>(sizeof kWords / sizeof *kWords) - 1);
  std::string s;
  for (int i = 0; i < words; ++i) {
    if (i) s += ' ';
    s += kWords[W(rng)];
  }
  s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::string hex64(std::mt19937_64& rng) {
  static const char* d = "0123456789abcdef";
  std::string s(64, '0');
  for (auto& c : s) c = d[rng() & 15];
  return s;
}

// One sample line for a 4-choice item.
std::string line(std::mt19937_64& rng, long doc_id, const std::string& question, const std::vector<std::string>& choices,
                 int answer, double p_correct) {
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const bool correct = U(rng) < p_correct;
  const bool correct_norm = U(rng) < p_correct;
  std::string ctx = "Question: " + question + "?\\nAnswer:";
  std::string s = "{\"doc_id\": " + std::to_string(doc_id) + ", \"doc\": {\"id\": \"Synth_" + std::to_string(doc_id) +
                  "\", \"question\": \"" + question + "?\", \"choices\": {\"text\": [";
  for (int c = 0; c < 4; ++c) s += (c ? ", \"" : "\"") + choices[static_cast<std::size_t>(c)] + "\"";
  s += "], \"label\": [\"A\", \"B\", \"C\", \"D\"]}, \"answerKey\": \"";
  s += static_cast<char>('A' + answer);
  s += "\"}, \"target\": \"" + std::to_string(answer) + "\", \"arguments\": {";
  for (int c = 0; c < 4; ++c)
    s += std::string(c ? ", " : "") + "\"gen_args_" + std::to_string(c) + "\": {\"arg_0\": \"" + ctx +
         "\", \"arg_1\": \" " + choices[static_cast<std::size_t>(c)] + "\"}";
  s += "}, \"resps\": [";
  char num[64];
  std::vector<std::string> lp(4);
  for (int c = 0; c < 4; ++c) {
    std::snprintf(num, sizeof num, "%.6f", -5.0 - 20.0 * U(rng));
    lp[static_cast<std::size_t>(c)] = num;
  }
  for (int c = 0; c < 4; ++c) s += std::string(c ? ", " : "") + "[[\"" + lp[static_cast<std::size_t>(c)] + "\", \"False\"]]";
  s += "], \"filtered_resps\": [";
  for (int c = 0; c < 4; ++c) s += std::string(c ? ", " : "") + "[\"" + lp[static_cast<std::size_t>(c)] + "\", \"False\"]";
  s += "], \"filter\": \"none\", \"metrics\": [\"acc\", \"acc_norm\"], \"doc_hash\": \"" + hex64(rng) +
       "\", \"prompt_hash\": \"" + hex64(rng) + "\", \"target_hash\": \"" + hex64(rng) + "\", \"acc\": " +
       (correct ? "1.0" : "0.0") + ", \"acc_norm\": " + (correct_norm ? "1.0" : "0.0") + "}\n";
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: gen_lmeval <out_dir> [megabytes=200] [models=8] [seed=1]\n");
    return 2;
  }
  const std::string out = argv[1];
  const double mb = argc > 2 ? std::atof(argv[2]) : 200.0;
  const int models = argc > 3 ? std::atoi(argv[3]) : 8;
  const unsigned seed = argc > 4 ? static_cast<unsigned>(std::atol(argv[4])) : 1u;
  if (!(mb > 0) || models <= 0) {
    std::fprintf(stderr, "gen_lmeval: megabytes and models must be positive\n");
    return 2;
  }
  const char* tasks[] = {"arc_easy_synth", "mmlu_stem_synth", "science_qa_synth"};
  const int n_tasks = 3;
  std::mt19937_64 rng(seed);

  // The same documents for every model: draw them once per task.
  struct Doc {
    std::string question;
    std::vector<std::string> choices;
    int answer;
    double difficulty;
  };
  // Size per line is about 2.05 kB; pick the number of documents to reach the target size.
  const double lines = mb * 1e6 / 2050.0;
  const long docs = std::max(1L, static_cast<long>(lines / (n_tasks * (models + 1))));
  std::vector<std::vector<Doc>> task_docs(n_tasks);
  std::normal_distribution<double> N01(0.0, 1.0);
  std::uniform_int_distribution<int> A(0, 3), L(10, 40);
  for (auto& td : task_docs)
    for (long d = 0; d < docs; ++d) {
      Doc doc;
      doc.question = sentence(rng, L(rng));
      for (int c = 0; c < 4; ++c) doc.choices.push_back(sentence(rng, 3 + A(rng)));
      doc.answer = A(rng);
      doc.difficulty = N01(rng);
      td.push_back(std::move(doc));
    }

  std::filesystem::create_directories(out + "/samples");
  std::FILE* mf = std::fopen((out + "/models.csv").c_str(), "w");
  std::fprintf(mf, "model,params,tokens,compute_flops,role,family,size\n");
  double bytes = 0;
  long n_lines = 0;
  for (int m = 0; m < models; ++m) {
    const double params = 7e7 * std::pow(2.0, m);
    char name[64];
    std::snprintf(name, sizeof name, "SynthLab__synth-%.0fm", params / 1e6);
    std::fprintf(mf, "%s,%.0f,3e11,,%s,synth,%.0fm\n", name, params, m + 1 == models ? "target" : "ladder", params / 1e6);
    const std::string dir = out + "/samples/" + name;
    std::filesystem::create_directories(dir);
    const int runs = m + 1 == models ? 2 : 1;
    for (int r = 0; r < runs; ++r)
      for (int t = 0; t < n_tasks; ++t) {
        const std::string path = dir + "/samples_" + tasks[t] + (r == 0 ? "_2024-05-01T12-00-00.123456" : "_2024-05-02T08-15-30.654321") + ".jsonl";
        std::FILE* f = std::fopen(path.c_str(), "w");
        std::vector<char> buf(1 << 20);
        std::setvbuf(f, buf.data(), _IOFBF, buf.size());
        for (long d = 0; d < docs; ++d) {
          const Doc& doc = task_docs[static_cast<std::size_t>(t)][static_cast<std::size_t>(d)];
          const double p = 0.25 + 0.75 / (1.0 + std::exp(3.0 * (doc.difficulty - (-1.5 + 0.5 * m))));
          const std::string s = line(rng, d, doc.question, doc.choices, doc.answer, p);
          std::fwrite(s.data(), 1, s.size(), f);
          bytes += static_cast<double>(s.size());
          ++n_lines;
        }
        std::fclose(f);
      }
  }
  std::fclose(mf);
  std::printf("wrote %ld lines, %.1f MB (%d models, %d tasks x %ld docs) to %s/samples\n", n_lines, bytes / 1e6, models,
              n_tasks, docs, out.c_str());
  return 0;
}
