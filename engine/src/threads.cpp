#include "cod/threads.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

namespace cod {
namespace {
std::atomic<int> g_limit{0};
}

void set_thread_limit(int n) { g_limit.store(n > 0 ? n : 0); }

int thread_limit() { return g_limit.load(); }

int resolve_threads(int requested, std::size_t tasks) {
  int t = requested > 0 ? requested : static_cast<int>(std::thread::hardware_concurrency());
  const int cap = g_limit.load();
  if (cap > 0) t = std::min(t, cap);
  if (t < 1) t = 1;
  if (static_cast<std::size_t>(t) > tasks) t = static_cast<int>(std::max<std::size_t>(tasks, 1));
  return t;
}

}  // namespace cod
