// cod.core.cluster: clustering on difficulty (SPEC §3). The documented API is
// stdlib/cod/cluster.lua, which re-exports these functions.
//
// Label convention at this border: C++ ids 0..k-1 become Lua ids 1..k; -1 stays
// -1 ("not in a cluster"). Row indices (zero rows) become 1-based.

#include <climits>
#include <cmath>
#include <string>
#include <vector>

#include "cod/cluster.hpp"
#include "cod/error.hpp"
#include "modules.hpp"
#include "support.hpp"

namespace {

namespace cc = cod::cluster;
using codlua::guarded;
using codlua::set_field;

// ------------------------------------------------------------------ options

int int_option(const codlua::Options& o, const char* key, int fallback, int lo) {
  const long long v = o.integer(key, fallback);
  if (v < lo || v > INT_MAX) o.fail(key, "must be an integer >= " + std::to_string(lo) + ", got " + std::to_string(v));
  return static_cast<int>(v);
}

std::optional<double> opt_number(const codlua::Options& o, const char* key) { return o.number(key); }

cc::Exec exec_of(const codlua::Options& o) {
  cc::Exec e;
  e.threads = int_option(o, "threads", 0, 0);
  e.collapse = o.boolean("collapse", true);
  return e;
}

std::uint64_t seed_of(const codlua::Options& o) { return static_cast<std::uint64_t>(o.integer("seed", 0)); }

// ------------------------------------------------------------------ results

void push_rows(lua_State* L, const cod::Matrix& M) {
  lua_createtable(L, static_cast<int>(M.rows()), 0);  // [rows]
  for (Eigen::Index i = 0; i < M.rows(); ++i) {
    lua_createtable(L, static_cast<int>(M.cols()), 0);  // [rows, row]
    for (Eigen::Index j = 0; j < M.cols(); ++j) {
      lua_pushnumber(L, M(i, j));
      lua_rawseti(L, -2, j + 1);
    }
    lua_rawseti(L, -2, i + 1);  // [rows]
  }
}

void push_sizes(lua_State* L, const std::vector<std::int64_t>& v) {
  lua_createtable(L, static_cast<int>(v.size()), 0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    lua_pushinteger(L, static_cast<lua_Integer>(v[i]));
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

void push_rows_index(lua_State* L, const std::vector<std::size_t>& v) {
  lua_createtable(L, static_cast<int>(v.size()), 0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    lua_pushinteger(L, static_cast<lua_Integer>(v[i] + 1));
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

// The fields every method's result has; leaves the result table on the stack.
void push_common(lua_State* L, const char* method, const cod::Matrix& X, const cod::Labels& labels,
                 const cod::Matrix& centres, const std::vector<std::int64_t>& sizes,
                 const std::vector<std::size_t>& zero, const std::string& reason) {
  const cc::Quality q = cc::quality(X, labels);
  lua_newtable(L);  // [res]
  set_field(L, "method", method);
  codlua::push_labels(L, labels);
  lua_setfield(L, -2, "labels");
  push_rows(L, centres);
  lua_setfield(L, -2, "centres");
  push_sizes(L, sizes);
  lua_setfield(L, -2, "sizes");
  set_field(L, "n_clusters", static_cast<std::size_t>(centres.rows()));
  set_field(L, "n_items", labels.size());
  push_rows_index(L, zero);
  lua_setfield(L, -2, "zero");
  set_field(L, "n_zero", zero.size());
  set_field(L, "iad", q.iad);
  set_field(L, "outlier_rate", q.outlier_rate);
  if (!reason.empty()) set_field(L, "reason", reason);
}

void push_bandwidth_choice(lua_State* L, const cc::BandwidthChoice& b) {
  set_field(L, "bandwidth", b.bandwidth);
  set_field(L, "bandwidth_estimate", b.estimate);
  set_field(L, "max_bandwidth", b.cap);
  set_field(L, "bandwidth_zero", b.estimate_zero);
}

// ------------------------------------------------------------------ functions

int l_estimate_bandwidth(lua_State* L) {
  return guarded(L, [&] {
    const cod::Matrix X = codlua::check_matrix(L, 1);
    const codlua::Options o(L, 2, "estimate_bandwidth", {"quantile", "n_samples", "seed", "threads", "collapse"});
    cc::BandwidthOptions b;
    b.quantile = o.number("quantile", b.quantile);
    b.n_samples = static_cast<std::size_t>(int_option(o, "n_samples", 0, 0));
    b.seed = seed_of(o);
    b.exec = exec_of(o);
    lua_pushnumber(L, cc::estimate_bandwidth(X, b));
    return 1;
  });
}

int l_paper_bandwidth(lua_State* L) {
  return guarded(L, [&] {
    const cod::Matrix X = codlua::check_matrix(L, 1);
    const codlua::Options o(L, 2, "paper_bandwidth", {"quantile", "max_bandwidth", "drop_zero", "threads", "collapse"});
    const double q = o.number("quantile", 0.1);
    const auto cap = opt_number(o, "max_bandwidth");
    const bool drop = o.boolean("drop_zero", true);
    const cc::Exec e = exec_of(o);
    const cc::BandwidthChoice b = cc::paper_bandwidth(X, q, cap, drop, e);
    lua_newtable(L);
    push_bandwidth_choice(L, b);
    return 1;
  });
}

int l_meanshift(lua_State* L) {
  return guarded(L, [&] {
    const cod::Matrix X = codlua::check_matrix(L, 1);
    const codlua::Options o(L, 2, "meanshift",
                            {"bandwidth", "quantile", "bin_seeding", "min_bin_freq", "cluster_all", "max_iter",
                             "drop_zero", "threads", "collapse"});
    cc::MeanShiftOptions m;
    m.bandwidth = opt_number(o, "bandwidth");
    m.quantile = o.number("quantile", m.quantile);
    m.bin_seeding = o.boolean("bin_seeding", m.bin_seeding);
    m.min_bin_freq = int_option(o, "min_bin_freq", m.min_bin_freq, 1);
    m.cluster_all = o.boolean("cluster_all", m.cluster_all);
    m.max_iter = int_option(o, "max_iter", m.max_iter, 0);
    m.drop_zero = o.boolean("drop_zero", m.drop_zero);
    m.exec = exec_of(o);
    const cc::MeanShiftResult r = cc::meanshift(X, m);
    push_common(L, "meanshift", X, r.labels, r.centres, r.sizes, r.zero_rows, r.reason);
    set_field(L, "bandwidth", r.bandwidth);
    set_field(L, "bandwidth_estimated", r.bandwidth_estimated);
    push_sizes(L, r.window_sizes);
    lua_setfield(L, -2, "window_sizes");
    set_field(L, "n_iter", r.n_iter);
    set_field(L, "n_seeds", r.n_seeds);
    set_field(L, "n_distinct_seeds", r.n_distinct_seeds);
    set_field(L, "n_modes", r.n_modes);
    set_field(L, "bin_seeding", m.bin_seeding);
    set_field(L, "bin_seeding_fallback", r.bin_seeding_fallback);
    set_field(L, "cluster_all", m.cluster_all);
    return 1;
  });
}

int l_improved_meanshift(lua_State* L) {
  return guarded(L, [&] {
    const cod::Matrix X = codlua::check_matrix(L, 1);
    const codlua::Options o(L, 2, "improved_meanshift",
                            {"quantile", "min_size", "max_bandwidth", "bandwidth", "max_rounds", "max_iter",
                             "bin_seeding", "drop_zero", "threads", "collapse"});
    cc::ImprovedMeanShiftOptions m;
    m.quantile = o.number("quantile", m.quantile);
    m.min_size = int_option(o, "min_size", m.min_size, 1);
    m.max_bandwidth = opt_number(o, "max_bandwidth");
    m.bandwidth = opt_number(o, "bandwidth");
    m.max_rounds = int_option(o, "max_rounds", m.max_rounds, 1);
    m.max_iter = int_option(o, "max_iter", m.max_iter, 0);
    m.bin_seeding = o.boolean("bin_seeding", m.bin_seeding);
    m.drop_zero = o.boolean("drop_zero", m.drop_zero);
    m.exec = exec_of(o);
    const cc::ImprovedMeanShiftResult r = cc::improved_meanshift(X, m);
    push_common(L, "improved_meanshift", X, r.labels, r.centres, r.sizes, r.zero_rows, r.reason);
    push_rows(L, r.member_means);
    lua_setfield(L, -2, "member_means");
    push_bandwidth_choice(L, r.bandwidth);
    set_field(L, "bandwidth_given", m.bandwidth.has_value());
    set_field(L, "min_size", m.min_size);
    set_field(L, "rounds", r.rounds);
    set_field(L, "max_rounds_reached", r.max_rounds_reached);
    lua_createtable(L, static_cast<int>(r.history.size()), 0);  // [res, history]
    for (std::size_t i = 0; i < r.history.size(); ++i) {
      const cc::Round& h = r.history[i];
      lua_createtable(L, 0, 5);  // [res, history, round]
      set_field(L, "round", h.round);
      set_field(L, "n_input", h.n_input);
      set_field(L, "n_meanshift_clusters", h.n_meanshift_clusters);
      set_field(L, "n_new_clusters", h.n_new_clusters);
      set_field(L, "n_new_labelled", h.n_new_labelled);
      lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));  // [res, history]
    }
    lua_setfield(L, -2, "history");  // [res]
    return 1;
  });
}

void push_scan(lua_State* L, const std::vector<cc::KScan>& scan) {
  lua_createtable(L, static_cast<int>(scan.size()), 0);
  for (std::size_t i = 0; i < scan.size(); ++i) {
    lua_createtable(L, 0, 2);
    set_field(L, "k", scan[i].k);
    set_field(L, "min_size", static_cast<long long>(scan[i].min_cluster_size));
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

int l_kmeans(lua_State* L) {
  return guarded(L, [&] {
    const cod::Matrix X = codlua::check_matrix(L, 1);
    const codlua::Options o(L, 2, "kmeans",
                            {"k", "min_size", "patience", "n_init", "max_iter", "tol", "seed", "drop_zero", "threads",
                             "collapse"});
    cc::KMeansOptions m;
    if (o.has("k")) m.k = int_option(o, "k", 1, 1);
    m.min_size = int_option(o, "min_size", m.min_size, 1);
    m.patience = int_option(o, "patience", m.patience, 0);
    m.n_init = int_option(o, "n_init", m.n_init, 1);
    m.max_iter = int_option(o, "max_iter", m.max_iter, 1);
    m.tol = o.number("tol", m.tol);
    m.seed = seed_of(o);
    m.drop_zero = o.boolean("drop_zero", m.drop_zero);
    m.exec = exec_of(o);
    const cc::KMeansResult r = cc::kmeans(X, m);
    push_common(L, "kmeans", X, r.labels, r.centres, r.sizes, r.zero_rows, r.reason);
    set_field(L, "k", r.k);
    set_field(L, "k_from_scan", r.k_from_scan);
    set_field(L, "inertia", r.inertia);
    set_field(L, "n_iter", r.n_iter);
    set_field(L, "best_init", r.best_init + 1);
    set_field(L, "n_init", m.n_init);
    set_field(L, "seed", static_cast<long long>(m.seed));
    return 1;
  });
}

int l_improved_kmeans(lua_State* L) {
  return guarded(L, [&] {
    const cod::Matrix X = codlua::check_matrix(L, 1);
    const codlua::Options o(L, 2, "improved_kmeans",
                            {"min_size", "patience", "k", "n_init", "max_iter", "tol", "seed", "drop_zero", "threads",
                             "collapse"});
    cc::ImprovedKMeansOptions m;
    m.min_size = int_option(o, "min_size", m.min_size, 1);
    m.patience = int_option(o, "patience", m.patience, 0);
    if (o.has("k")) m.k = int_option(o, "k", 1, 1);
    m.n_init = int_option(o, "n_init", m.n_init, 1);
    m.max_iter = int_option(o, "max_iter", m.max_iter, 1);
    m.tol = o.number("tol", m.tol);
    m.seed = seed_of(o);
    m.drop_zero = o.boolean("drop_zero", m.drop_zero);
    m.exec = exec_of(o);
    const cc::ImprovedKMeansResult r = cc::improved_kmeans(X, m);
    push_common(L, "improved_kmeans", X, r.labels, r.centres, r.sizes, r.zero_rows, r.reason);
    push_rows(L, r.member_means);
    lua_setfield(L, -2, "member_means");
    set_field(L, "k", r.k);
    set_field(L, "min_size", m.min_size);
    set_field(L, "kmeans_iad", r.kmeans_iad);
    set_field(L, "outlier_radius", r.outlier_radius);
    push_scan(L, r.scan);
    lua_setfield(L, -2, "scan");
    // Plain KMeans with the chosen k (the cod_kmeans and cod_no_mapping recipes).
    if (r.k > 0) {
      codlua::push_labels(L, r.kmeans_labels);
      lua_setfield(L, -2, "assignments");
      push_rows(L, r.kmeans_centres);
      lua_setfield(L, -2, "kmeans_centres");
    }
    return 1;
  });
}

int l_dbscan(lua_State* L) {
  return guarded(L, [&] {
    const cod::Matrix X = codlua::check_matrix(L, 1);
    const codlua::Options o(L, 2, "dbscan",
                            {"eps", "min_samples", "quantile", "max_bandwidth", "drop_zero", "threads", "collapse"});
    cc::DbscanOptions m;
    m.eps = opt_number(o, "eps");
    m.min_samples = int_option(o, "min_samples", m.min_samples, 1);
    m.quantile = o.number("quantile", m.quantile);
    m.max_bandwidth = opt_number(o, "max_bandwidth");
    m.drop_zero = o.boolean("drop_zero", m.drop_zero);
    m.exec = exec_of(o);
    const cc::DbscanResult r = cc::dbscan(X, m);
    push_common(L, "dbscan", X, r.labels, r.centres, r.sizes, r.zero_rows, r.reason);
    set_field(L, "eps", r.eps);
    set_field(L, "eps_given", m.eps.has_value());
    if (r.eps_choice) push_bandwidth_choice(L, *r.eps_choice);
    set_field(L, "min_samples", m.min_samples);
    set_field(L, "n_core", r.n_core);
    lua_createtable(L, static_cast<int>(r.core.size()), 0);
    for (std::size_t i = 0; i < r.core.size(); ++i) {
      lua_pushboolean(L, r.core[i]);
      lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
    }
    lua_setfield(L, -2, "core");
    return 1;
  });
}

// quality(X, labels | result [, {centres =, pass_rates =}])
int l_quality(lua_State* L) {
  return guarded(L, [&] {
    const cod::Matrix X = codlua::check_matrix(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    // A clustering result: its labels and centres.
    const bool is_result = lua_getfield(L, 2, "labels") == LUA_TTABLE;  // [labels?]
    cod::Labels labels;
    std::optional<cod::Matrix> centres, rates;
    if (is_result) {
      labels = codlua::check_labels(L, lua_gettop(L), 2, "labels or a clustering result");
      lua_getfield(L, 2, "centres");  // [labels, centres]
      if (!lua_isnil(L, -1)) centres = codlua::check_matrix(L, lua_gettop(L));
      lua_pop(L, 1);
    } else {
      labels = codlua::check_labels(L, 2, 2, "labels or a clustering result");
    }
    lua_pop(L, 1);  // []
    const codlua::Options o(L, 3, "quality", {"centres", "pass_rates"});
    if (o.has("centres")) {
      o.push("centres");
      centres = codlua::check_matrix(L, lua_gettop(L));
      lua_pop(L, 1);
    }
    if (o.has("pass_rates")) {
      o.push("pass_rates");
      rates = codlua::check_matrix(L, lua_gettop(L));
      lua_pop(L, 1);
    }
    // A centres table with no rows (no cluster) is no centres.
    const cod::Matrix* cp = centres && centres->rows() > 0 ? &*centres : nullptr;
    const cc::Quality q = cc::quality(X, labels, cp, rates ? &*rates : nullptr);
    lua_newtable(L);  // [q]
    set_field(L, "iad", q.iad);
    set_field(L, "outlier_rate", q.outlier_rate);
    set_field(L, "n_items", q.n_items);
    set_field(L, "n_clustered", q.n_clustered);
    lua_createtable(L, static_cast<int>(q.clusters.size()), 0);  // [q, clusters]
    for (std::size_t i = 0; i < q.clusters.size(); ++i) {
      const cc::ClusterSummary& s = q.clusters[i];
      lua_createtable(L, 0, 5);  // [q, clusters, c]
      set_field(L, "id", s.id + 1);
      set_field(L, "size", static_cast<long long>(s.size));
      if (s.centre.size() > 0) {
        codlua::push_vector(L, s.centre);
        lua_setfield(L, -2, "centre");
      }
      codlua::push_vector(L, s.member_mean);
      lua_setfield(L, -2, "member_mean");
      codlua::push_vector(L, s.pass_rate);
      lua_setfield(L, -2, "pass_rate");
      lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));  // [q, clusters]
    }
    lua_setfield(L, -2, "clusters");  // [q]
    return 1;
  });
}

int l_iad(lua_State* L) {
  return guarded(L, [&] {
    const cod::Matrix X = codlua::check_matrix(L, 1);
    const cod::Labels labels = codlua::check_labels(L, 2, 2, "labels or a clustering result");
    lua_pushnumber(L, cc::iad(X, labels));
    return 1;
  });
}

int l_outlier_rate(lua_State* L) {
  return guarded(L, [&] {
    const cod::Labels labels = codlua::check_labels(L, 1, 1, "labels or a clustering result");
    lua_pushnumber(L, cc::outlier_rate(labels));
    return 1;
  });
}

int l_distinct_rows(lua_State* L) {
  return guarded(L, [&] {
    const cod::Matrix X = codlua::check_matrix(L, 1);
    lua_pushinteger(L, static_cast<lua_Integer>(cc::distinct_rows(X)));
    return 1;
  });
}

int luaopen_cod_core_cluster(lua_State* L) {
  static const luaL_Reg funcs[] = {
      {"estimate_bandwidth", l_estimate_bandwidth},
      {"paper_bandwidth", l_paper_bandwidth},
      {"meanshift", l_meanshift},
      {"improved_meanshift", l_improved_meanshift},
      {"kmeans", l_kmeans},
      {"improved_kmeans", l_improved_kmeans},
      {"dbscan", l_dbscan},
      {"quality", l_quality},
      {"iad", l_iad},
      {"outlier_rate", l_outlier_rate},
      {"distinct_rows", l_distinct_rows},
      {nullptr, nullptr},
  };
  return codlua::new_module(L, funcs);
}

}  // namespace

static codlua::ModuleRegistration reg_cluster("cod.core.cluster", luaopen_cod_core_cluster);
