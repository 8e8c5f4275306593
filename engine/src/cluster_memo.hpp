#pragma once
/// @file cluster_memo.hpp
/// Private machinery of the cluster module: the memo of MeanShift climbs (a climb from a
/// position is a pure function of it) and its carry from one round of Improved MeanShift
/// to the next. Not installed.

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "cluster_kdtree.hpp"

namespace cod::cluster::detail {

/** Where a climb ends: its last window's weight, the iterations used, dropped (empty window). */
struct ClimbOut {
  std::int64_t size = 0;
  int iters = 0;
  bool dropped = false;
};

/**
 * Whether Improved MeanShift carries climbing steps across rounds (default true; false: every
 * round climbs afresh). Round r+1 runs on round r's rows minus the rows it labelled; a window
 * of round r whose ball holds none of them holds the same rows in round r+1, so the same
 * weight, exact sum and mean: the step from that position is the same.
 */
bool round_carry_allowed();
void allow_round_carry(bool on);
/** For tests and benchmarks: carried steps taken, and refused (a removed row in the window), since the process started. */
std::size_t carried_steps_taken();
std::size_t carried_steps_refused();
/**
 * A memo drops its stale entries (steps that can no longer be taken) at the start of a round
 * when they outnumber the others and are at least this many (0: the default, 65,536; for
 * tests: 1 drops them at every round). Below that they are kept: rebuilding costs more than
 * the memory.
 */
void set_memo_compaction(std::size_t min_stale);

/**
 * Outcomes and steps of climbs, keyed by position: seeds that reach the same window reach
 * bit-identical means (exact sums) and share the rest. Shared by the threads; whichever
 * thread stores an outcome stores the same values, so scheduling cannot change results.
 */
class Memo {
 public:
  /** An empty memo for bandwidth h. */
  Memo(int d, double h);

  /**
   * Start a round of MeanShift with sums on the scale `fx`. For Improved MeanShift's later
   * rounds, `removed` holds the rows the last round labelled (this round runs on the last
   * one's rows minus these): the last round's outcomes are dropped, its steps stay, each to
   * be checked before it is taken.
   */
  void start_round(const FixedScale& fx, const Points& removed);

  /** What find() knows of a position. */
  enum class Known { nothing, step, outcome };
  /**
   * What is known of `state`: the outcome of a climb from it if one is stored and its
   * remaining steps fit in `budget` (into o and final_mean); else its window when known for
   * this round (a step of this round, or of an earlier one whose window holds no row removed
   * since): its weight and, if not 0, its mean (into weight and next). `entry` gets the
   * position's entry, -1 if none (for remember()).
   */
  Known find(const double* state, int budget, ClimbOut& o, double* final_mean, std::int64_t& weight, double* next,
             int& entry);

  /**
   * Store the outcome `o` (iterations counted from 0) of a climb through the positions
   * `path` (their entries `path_entry`, -1 where find() had none) with their windows'
   * weights `path_w`, and each position's step: to the next position of the path, and from
   * the last one to `last_next` (a find() hit's position, or the final mean; unused when the
   * last window was empty).
   */
  void remember(const std::vector<double>& path, const std::vector<int>& path_it, const std::vector<int>& path_entry,
                const std::vector<std::int64_t>& path_w, const ClimbOut& o, const double* final_mean,
                const double* last_next);

 private:
  // fresh: outcome and step from this round; unchecked: a step of the last round, not yet
  // checked; clean: such a step checked (no removed row in its window); stale: a step known
  // to differ in this round, or not checked against every removal since it was taken.
  enum Status : char { fresh = 0, unchecked = 1, clean = 2, stale = 3 };
  void drop_stale();

  int d_;
  double r2_;
  std::mutex mu_;
  RowMap map_;
  // Per entry: status, step (next position, d values, and its window's weight) and, for fresh
  // entries, the steps left and the climb's outcome (an index: a climb's entries share one).
  std::vector<char> status_;
  std::vector<double> next_;
  std::vector<std::int64_t> weight_;
  std::vector<int> steps_, outcome_;
  // Outcomes of this round's climbs: final mean (d values), last window's weight, dropped.
  std::vector<double> out_final_;
  std::vector<std::int64_t> out_size_;
  std::vector<char> out_dropped_;
  std::vector<int> shift_;  // the scale of the sums
  bool exact_ = true, started_ = false;
  std::unique_ptr<KdTree> removed_;  // rows labelled in the last round
};

}  // namespace cod::cluster::detail
