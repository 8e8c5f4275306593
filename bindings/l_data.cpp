// cod.core.data: the Dataset userdata (cod.Dataset) and its operations:
// model selection, features, zero items, metrics, summaries.
// Readers live in l_io.cpp; the documented API is stdlib/cod/data.lua.

#include <cmath>
#include <string>

#include "cod/dataset.hpp"
#include "cod/error.hpp"
#include "modules.hpp"
#include "support.hpp"

namespace {

using codlua::check_box;
using codlua::guarded;
using codlua::set_field;

constexpr const char* kDatasetType = "cod.Dataset";

const cod::Dataset& self(lua_State* L) { return *check_box<cod::Dataset>(L, 1, kDatasetType); }

// A set argument: its name (string) or 1-based index.
const cod::EvalSet& check_set(lua_State* L, const cod::Dataset& ds, int idx) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    const lua_Integer i = luaL_checkinteger(L, idx);
    if (i < 1 || i > static_cast<lua_Integer>(ds.sets.size()))
      luaL_argerror(L, idx, ("set index out of range [1, " + std::to_string(ds.sets.size()) + "]").c_str());
    return ds.sets[static_cast<std::size_t>(i - 1)];
  }
  const std::string name = luaL_checkstring(L, idx);
  return ds.sets[ds.set_index(name)];  // throws with the list of sets; call inside guarded
}

std::size_t check_model(lua_State* L, const cod::Dataset& ds, int idx) {
  const std::string name = luaL_checkstring(L, idx);
  return ds.model_index(name);  // throws listing models; call inside guarded
}

void push_number_or_nil(lua_State* L, double v) {
  if (std::isnan(v))
    lua_pushnil(L);
  else
    lua_pushnumber(L, v);
}

void set_optional(lua_State* L, const char* key, double v) {
  push_number_or_nil(L, v);
  lua_setfield(L, -2, key);
}

void push_model(lua_State* L, const cod::Dataset& ds, std::size_t m) {
  const cod::Model& model = ds.models[m];
  lua_createtable(L, 0, 10);
  set_field(L, "name", model.name);
  set_optional(L, "params", model.params);
  set_optional(L, "tokens", model.tokens);
  set_optional(L, "compute_flops", model.flops());
  set_optional(L, "compute", model.flops() / ds.compute_unit);
  if (model.role != cod::Role::none) set_field(L, "role", cod::role_name(model.role));
  if (!model.family.empty()) set_field(L, "family", model.family);
  if (!model.size.empty()) set_field(L, "size", model.size);
  set_optional(L, "step", model.step);
  set_optional(L, "loss", model.loss);
}

void push_names(lua_State* L, const cod::Dataset& ds, const std::vector<std::size_t>& idx) {
  lua_createtable(L, static_cast<int>(idx.size()), 0);
  for (std::size_t i = 0; i < idx.size(); ++i) {
    lua_pushstring(L, ds.models[idx[i]].name.c_str());
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

// Selection request from an option table at `idx` (target, ladder, anchors).
cod::SelectionRequest check_selection(lua_State* L, int idx, const char* fname,
                                      std::initializer_list<const char*> extra_keys = {}) {
  std::vector<const char*> keys = {"target", "ladder", "anchors"};
  keys.insert(keys.end(), extra_keys.begin(), extra_keys.end());
  // Options takes an initializer_list; check the table by hand for the combined key list.
  cod::SelectionRequest req;
  if (lua_isnoneornil(L, idx)) return req;
  luaL_checktype(L, idx, LUA_TTABLE);
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    bool ok = false;
    if (lua_type(L, -2) == LUA_TSTRING)
      for (const char* k : keys) ok = ok || std::string(k) == lua_tostring(L, -2);
    if (!ok) {
      std::string list;
      for (const char* k : keys) list += (list.empty() ? "" : ", ") + std::string(k);
      lua_pushvalue(L, -2);
      std::string key = luaL_tolstring(L, -1, nullptr);
      luaL_error(L, "bad option '%s' to '%s' (valid options: %s)", key.c_str(), fname, list.c_str());
    }
    lua_pop(L, 1);
  }
  lua_getfield(L, idx, "target");
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "bad option 'target' to '%s' (string expected, got %s)", fname, luaL_typename(L, -1));
    req.target = lua_tostring(L, -1);
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "ladder");
  if (!lua_isnil(L, -1)) req.ladder = codlua::check_string_array(L, -1);
  lua_pop(L, 1);
  lua_getfield(L, idx, "anchors");
  if (!lua_isnil(L, -1)) {
    req.anchors = codlua::check_string_array(L, -1);
    req.explicit_anchors = true;
  }
  lua_pop(L, 1);
  return req;
}

// ds:models() -> array of model tables
int d_models(lua_State* L) {
  const auto& ds = self(L);
  return guarded(L, [&] {
    lua_createtable(L, static_cast<int>(ds.models.size()), 0);
    for (std::size_t m = 0; m < ds.models.size(); ++m) {
      push_model(L, ds, m);
      lua_rawseti(L, -2, static_cast<lua_Integer>(m + 1));
    }
    return 1;
  });
}

// ds:model(name) -> model table
int d_model(lua_State* L) {
  const auto& ds = self(L);
  luaL_checkstring(L, 2);
  return guarded(L, [&] {
    push_model(L, ds, check_model(L, ds, 2));
    return 1;
  });
}

// ds:sets() -> array of set names
int d_sets(lua_State* L) {
  const auto& ds = self(L);
  lua_createtable(L, static_cast<int>(ds.sets.size()), 0);
  for (std::size_t s = 0; s < ds.sets.size(); ++s) {
    lua_pushstring(L, ds.sets[s].name.c_str());
    lua_rawseti(L, -2, static_cast<lua_Integer>(s + 1));
  }
  return 1;
}

// ds:items(set) -> array of item ids
int d_items(lua_State* L) {
  const auto& ds = self(L);
  return guarded(L, [&] {
    codlua::push_string_array(L, check_set(L, ds, 2).items);
    return 1;
  });
}

// ds:set_models(set) -> names of the models with items in the set (columns of ds:pass(set))
int d_set_models(lua_State* L) {
  const auto& ds = self(L);
  return guarded(L, [&] {
    push_names(L, ds, check_set(L, ds, 2).models);
    return 1;
  });
}

// ds:pass(set) -> cod.Matrix items x set models
int d_pass(lua_State* L) {
  const auto& ds = self(L);
  return guarded(L, [&] {
    codlua::push_matrix(L, check_set(L, ds, 2).pass);
    return 1;
  });
}

// ds:trials(set) -> cod.Matrix of trial counts, or nil when unknown
int d_trials(lua_State* L) {
  const auto& ds = self(L);
  return guarded(L, [&] {
    const auto& set = check_set(L, ds, 2);
    if (set.has_trials())
      codlua::push_matrix(L, set.n_samples);
    else
      lua_pushnil(L);
    return 1;
  });
}

// ds:scores(set) -> { [model] = score } (empty when none given)
int d_scores(lua_State* L) {
  const auto& ds = self(L);
  return guarded(L, [&] {
    const auto& set = check_set(L, ds, 2);
    lua_newtable(L);
    for (std::size_t m = 0; m < set.scores.size(); ++m)
      if (!std::isnan(set.scores[m])) set_field(L, ds.models[m].name.c_str(), set.scores[m]);
    return 1;
  });
}

// ds:select{target=, ladder=, anchors=} -> {ladder = {...}, target = name|nil, anchors = {...}}
int d_select(lua_State* L) {
  const auto& ds = self(L);
  const cod::SelectionRequest req = check_selection(L, 2, "select");
  return guarded(L, [&] {
    const cod::Selection sel = cod::select_models(ds, req);
    lua_createtable(L, 0, 3);
    push_names(L, ds, sel.ladder);
    lua_setfield(L, -2, "ladder");
    push_names(L, ds, sel.anchors);
    lua_setfield(L, -2, "anchors");
    if (sel.target) set_field(L, "target", ds.models[*sel.target].name);
    return 1;
  });
}

std::vector<std::size_t> model_indices(const cod::Dataset& ds, const std::vector<std::string>& names) {
  std::vector<std::size_t> out;
  for (const auto& n : names) out.push_back(ds.model_index(n));
  return out;
}

// ds:features(set, ladder_names [, {smooth = radius}]) -> cod.Matrix items x ladder (ladder ordered by compute)
int d_features(lua_State* L) {
  const auto& ds = self(L);
  luaL_checktype(L, 3, LUA_TTABLE);
  const auto names = codlua::check_string_array(L, 3);
  codlua::Options opts(L, 4, "features", {"smooth"});
  const long long radius = opts.integer("smooth", 0);
  if (radius < 0) opts.fail("smooth", "must be >= 0");
  return guarded(L, [&] {
    const auto& set = check_set(L, ds, 2);
    const auto ladder = cod::order_by_compute(ds, model_indices(ds, names));
    codlua::push_matrix(L, cod::smoothed_features(ds, set, ladder, static_cast<int>(radius)));
    return 1;
  });
}

// ds:order_by_compute(names) -> names sorted by increasing compute
int d_order_by_compute(lua_State* L) {
  const auto& ds = self(L);
  const auto names = codlua::check_string_array(L, 2);
  return guarded(L, [&] {
    push_names(L, ds, cod::order_by_compute(ds, model_indices(ds, names)));
    return 1;
  });
}

// ds:compute(model) -> compute in units of compute_unit
int d_compute(lua_State* L) {
  const auto& ds = self(L);
  luaL_checkstring(L, 2);
  return guarded(L, [&] {
    lua_pushnumber(L, ds.compute(check_model(L, ds, 2)));
    return 1;
  });
}

int d_compute_unit(lua_State* L) {
  lua_pushnumber(L, self(L).compute_unit);
  return 1;
}

// ds:metric(set, model [, items]) -> mean pass rate (over 1-based `items` when given), or nil
int d_metric(lua_State* L) {
  const auto& ds = self(L);
  luaL_checkstring(L, 3);
  return guarded(L, [&] {
    const auto& set = check_set(L, ds, 2);
    const std::size_t m = check_model(L, ds, 3);
    double v;
    if (lua_isnoneornil(L, 4))
      v = cod::mean_pass_rate(set, m);
    else
      v = cod::subset_metric(set, m, codlua::check_index_array(L, 4, static_cast<int>(set.pass.rows())));
    push_number_or_nil(L, v);
    return 1;
  });
}

// ds:full_metric(set, model) -> score if given, else mean pass rate; nil when neither
int d_full_metric(lua_State* L) {
  const auto& ds = self(L);
  luaL_checkstring(L, 3);
  return guarded(L, [&] {
    push_number_or_nil(L, cod::full_metric(check_set(L, ds, 2), check_model(L, ds, 3)));
    return 1;
  });
}

// ds:feature(set, name) -> cod.Matrix items × set models ("metric" is the pass-rate matrix)
int d_feature(lua_State* L) {
  const auto& ds = self(L);
  const std::string name = luaL_checkstring(L, 3);
  return guarded(L, [&] {
    codlua::push_matrix(L, check_set(L, ds, 2).feature(name));
    return 1;
  });
}

// ds:feature_names(set) -> {"metric", ...}: the per-item features the set has
int d_feature_names(lua_State* L) {
  const auto& ds = self(L);
  return guarded(L, [&] {
    codlua::push_string_array(L, check_set(L, ds, 2).feature_names());
    return 1;
  });
}

// ds:sources() -> { {path, set, model, date?, samples, used}, ... }: the lm-eval files read or skipped
int d_sources(lua_State* L) {
  const auto& ds = self(L);
  lua_createtable(L, static_cast<int>(ds.sources.size()), 0);
  for (std::size_t i = 0; i < ds.sources.size(); ++i) {
    const cod::SourceFile& f = ds.sources[i];
    lua_createtable(L, 0, 6);  // [list, entry]
    set_field(L, "path", f.path);
    set_field(L, "set", f.set);
    set_field(L, "model", f.model);
    if (!f.date.empty()) set_field(L, "date", f.date);
    set_field(L, "samples", f.samples);
    set_field(L, "used", f.used);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));  // [list]
  }
  return 1;
}

int d_ignored_columns(lua_State* L) {
  codlua::push_string_array(L, self(L).ignored_columns);
  return 1;
}

int d_tostring(lua_State* L) {
  auto* box = static_cast<codlua::Box<cod::Dataset>*>(luaL_checkudata(L, 1, kDatasetType));
  if (!box->ptr) {
    lua_pushstring(L, "cod.Dataset (released)");
  } else {
    std::size_t items = 0;
    for (const auto& s : box->ptr->sets) items += s.items.size();
    lua_pushfstring(L, "cod.Dataset(%d sets, %d items, %d models)", static_cast<int>(box->ptr->sets.size()),
                    static_cast<int>(items), static_cast<int>(box->ptr->models.size()));
  }
  return 1;
}

// Field `key` of the table at `idx` as a number (NaN when absent); raises naming `where`.
double number_field(lua_State* L, int idx, const char* key, const std::string& where) {
  lua_getfield(L, idx, key);
  double v = cod::kUnknown;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER)
      luaL_error(L, "bad argument #1 to 'from_tables' (%s: '%s' must be a number, got %s)", where.c_str(), key,
                 luaL_typename(L, -1));
    v = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

std::string string_field(lua_State* L, int idx, const char* key, const std::string& where, bool required) {
  lua_getfield(L, idx, key);
  std::string v;
  if (lua_type(L, -1) == LUA_TSTRING) {
    v = lua_tostring(L, -1);
  } else if (!lua_isnil(L, -1) || required) {
    luaL_error(L, "bad argument #1 to 'from_tables' (%s: '%s' must be a string, got %s)", where.c_str(), key,
               luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return v;
}

// data.from_tables{models = {...}, sets = {...}, compute_unit = 1e18} -> cod.Dataset
// Builds a dataset from Lua tables (tests, generated data); validated like a file.
int f_from_tables(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  codlua::Options opts(L, 1, "from_tables", {"models", "sets", "compute_unit"});
  auto ds = std::make_shared<cod::Dataset>();
  ds->compute_unit = opts.number("compute_unit", 1e18);
  // [opts]
  if (lua_getfield(L, 1, "models") != LUA_TTABLE) luaL_error(L, "bad argument #1 to 'from_tables' (field 'models' must be a table of models)");
  const lua_Integer nm = luaL_len(L, -1);
  for (lua_Integer i = 1; i <= nm; ++i) {
    lua_geti(L, -1, i);  // [opts, models, model]
    const std::string where = "model #" + std::to_string(i);
    if (!lua_istable(L, -1)) luaL_error(L, "bad argument #1 to 'from_tables' (%s must be a table)", where.c_str());
    const int t = lua_gettop(L);
    cod::Model m;
    m.name = string_field(L, t, "name", where, true);
    m.params = number_field(L, t, "params", where);
    m.tokens = number_field(L, t, "tokens", where);
    m.compute_flops = number_field(L, t, "compute_flops", where);
    m.family = string_field(L, t, "family", where, false);
    m.size = string_field(L, t, "size", where, false);
    m.step = number_field(L, t, "step", where);
    m.loss = number_field(L, t, "loss", where);
    const std::string role = string_field(L, t, "role", where, false);
    ds->models.push_back(std::move(m));
    guarded(L, [&] {
      ds->models.back().role = cod::parse_role(role);
      return 0;
    });
    lua_pop(L, 1);  // [opts, models]
  }
  lua_pop(L, 1);  // [opts]
  if (lua_getfield(L, 1, "sets") != LUA_TTABLE) luaL_error(L, "bad argument #1 to 'from_tables' (field 'sets' must be a table of sets)");
  const lua_Integer ns = luaL_len(L, -1);
  for (lua_Integer i = 1; i <= ns; ++i) {
    lua_geti(L, -1, i);  // [opts, sets, set]
    const std::string where = "set #" + std::to_string(i);
    if (!lua_istable(L, -1)) luaL_error(L, "bad argument #1 to 'from_tables' (%s must be a table)", where.c_str());
    const int t = lua_gettop(L);
    cod::EvalSet set;
    set.name = string_field(L, t, "name", where, true);
    lua_getfield(L, t, "items");
    set.items = codlua::check_string_array(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, t, "models");
    const auto names = codlua::check_string_array(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, t, "pass");
    set.pass = codlua::check_matrix(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, t, "trials") != LUA_TNIL) set.n_samples = codlua::check_matrix(L, -1);
    lua_pop(L, 1);
    guarded(L, [&] {
      for (const auto& n : names) set.models.push_back(ds->model_index(n));
      if (set.pass.size() == 0) set.pass.resize(static_cast<Eigen::Index>(set.items.size()), static_cast<Eigen::Index>(set.models.size()));
      return 0;
    });
    if (lua_getfield(L, t, "scores") == LUA_TTABLE) {
      set.scores.assign(ds->models.size(), cod::kUnknown);
      lua_pushnil(L);
      while (lua_next(L, -2) != 0) {  // [.., scores, model, score]
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TNUMBER)
          luaL_error(L, "bad argument #1 to 'from_tables' (%s: scores must map model names to numbers)", where.c_str());
        const std::string model = lua_tostring(L, -2);
        const double score = lua_tonumber(L, -1);
        guarded(L, [&] {
          set.scores[ds->model_index(model)] = score;
          return 0;
        });
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 2);  // [opts, sets]
    ds->sets.push_back(std::move(set));
  }
  lua_pop(L, 1);  // [opts]
  return guarded(L, [&] {
    ds->validate();
    codlua::push_box(L, std::move(ds), kDatasetType);
    return 1;
  });
}

// data.zero_items(X) -> 1-based rows whose features are all zero
int f_zero_items(lua_State* L) {
  const cod::Matrix X = codlua::check_matrix(L, 1);
  return guarded(L, [&] {
    codlua::push_index_array(L, cod::zero_items(X));
    return 1;
  });
}

const luaL_Reg kMethods[] = {{"models", d_models},
                             {"model", d_model},
                             {"sets", d_sets},
                             {"items", d_items},
                             {"set_models", d_set_models},
                             {"pass", d_pass},
                             {"trials", d_trials},
                             {"scores", d_scores},
                             {"select", d_select},
                             {"features", d_features},
                             {"order_by_compute", d_order_by_compute},
                             {"compute", d_compute},
                             {"compute_unit", d_compute_unit},
                             {"metric", d_metric},
                             {"full_metric", d_full_metric},
                             {"ignored_columns", d_ignored_columns},
                             {"feature", d_feature},
                             {"feature_names", d_feature_names},
                             {"sources", d_sources},
                             {nullptr, nullptr}};

const luaL_Reg kFunctions[] = {{"zero_items", f_zero_items}, {"from_tables", f_from_tables}, {nullptr, nullptr}};

int luaopen_cod_core_data(lua_State* L) {
  codlua::register_type<cod::Dataset>(L, kDatasetType, kMethods, d_tostring);
  return codlua::new_module(L, kFunctions);
}

codlua::ModuleRegistration reg_data("cod.core.data", luaopen_cod_core_data);

}  // namespace
