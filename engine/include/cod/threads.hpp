#pragma once
/// @file threads.hpp
/// A process-wide cap on the engine's worker threads. `codlua --threads N` sets it, and
/// each worker process of cod.parallel sets it to 1 (its siblings already use the other
/// cores). Threads never change a result; the cap only keeps the machine from being
/// oversubscribed.

#include <cstddef>

namespace cod {

/** Cap every engine thread pool at `n` threads; 0 = no cap (the number of cores). */
void set_thread_limit(int n);

/** The cap set by set_thread_limit (0 = none). */
int thread_limit();

/**
 * Threads to use for `tasks` independent tasks when `requested` were asked for
 * (0 = the number of cores): at least 1, at most `tasks` and the cap.
 */
int resolve_threads(int requested, std::size_t tasks);

}  // namespace cod
