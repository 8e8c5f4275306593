// cod.core.synth: synthetic ladders with a known answer (engine: cod/synth.hpp).
// ladder(opts) -> cod.Dataset, truth table; defaults() -> the default mix and kind ranges.
// The documented API is stdlib/cod/synth.lua.

#include <cmath>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "cod/dataset.hpp"
#include "cod/synth.hpp"
#include "modules.hpp"
#include "support.hpp"

namespace {

using codlua::guarded;
using codlua::set_field;

constexpr const char* kDatasetType = "cod.Dataset";  // defined by cod.core.data
constexpr const char* kFname = "ladder";
constexpr const char* kParams[] = {"alpha", "beta", "gamma", "guess", "cap", "noise"};

// ---------------------------------------------------------------- nested option tables
// Messages follow codlua::Options: "bad option '<path>' to 'ladder' (...)", with the
// path naming where in the nested table the problem is (e.g. sets[2].mix.emergent).

[[noreturn]] void fail(lua_State* L, const std::string& path, const std::string& msg) {
  luaL_error(L, "bad option '%s' to '%s' (%s)", path.c_str(), kFname, msg.c_str());
  __builtin_unreachable();  // luaL_error raises
}

std::string join(std::initializer_list<const char*> names) {
  std::string s;
  for (const char* n : names) s += (s.empty() ? "" : ", ") + std::string(n);
  return s;
}

// Every key of the table at `idx` must be one of `valid`.
void check_keys(lua_State* L, int idx, const std::string& path, std::initializer_list<const char*> valid) {
  lua_pushnil(L);  // [nil]
  while (lua_next(L, idx) != 0) {  // [key, value]
    bool ok = false;
    if (lua_type(L, -2) == LUA_TSTRING) {
      const char* key = lua_tostring(L, -2);
      for (const char* v : valid)
        if (std::strcmp(v, key) == 0) ok = true;
    }
    if (!ok) {
      lua_pushvalue(L, -2);  // [key, value, key]: tostring of a copy, never of lua_next's key
      const std::string key = luaL_tolstring(L, -1, nullptr);
      fail(L, path + "." + key, "valid options: " + join(valid));
    }
    lua_pop(L, 1);  // [key]
  }
}

// t[key] as a number (nil -> nullopt), with t at absolute index idx.
std::optional<double> nested_number(lua_State* L, int idx, const char* key, const std::string& path) {
  const int t = lua_getfield(L, idx, key);  // [v]
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return std::nullopt;
  }
  if (t != LUA_TNUMBER) fail(L, path + "." + key, std::string("number expected, got ") + luaL_typename(L, -1));
  const double v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  if (std::isnan(v)) fail(L, path + "." + key, "number expected, got NaN");
  return v;
}

std::optional<long long> nested_integer(lua_State* L, int idx, const char* key, const std::string& path) {
  const int t = lua_getfield(L, idx, key);  // [v]
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return std::nullopt;
  }
  int isint = 0;
  const lua_Integer v = lua_tointegerx(L, -1, &isint);
  if (t != LUA_TNUMBER || !isint) {
    const std::string got = t == LUA_TNUMBER ? "a non-integer number" : luaL_typename(L, -1);
    fail(L, path + "." + key, "integer expected, got " + got);
  }
  lua_pop(L, 1);
  return v;
}

// A parameter range at the top of the stack: a number (constant) or {lo, hi}.
cod::ParamRange range_at_top(lua_State* L, const std::string& path) {
  if (lua_type(L, -1) == LUA_TNUMBER) {
    const double v = lua_tonumber(L, -1);
    if (std::isnan(v)) fail(L, path, "number expected, got NaN");
    return {v, v};
  }
  if (!lua_istable(L, -1) || luaL_len(L, -1) != 2)
    fail(L, path, std::string("a number or a pair {lo, hi} expected, got ") +
                      (lua_istable(L, -1) ? "a table of length " + std::to_string(luaL_len(L, -1)) : luaL_typename(L, -1)));
  double b[2];
  for (int k = 0; k < 2; ++k) {
    lua_geti(L, -1, k + 1);
    if (lua_type(L, -1) != LUA_TNUMBER || std::isnan(lua_tonumber(L, -1)))
      fail(L, path, std::string("a pair of numbers {lo, hi} expected, element ") + std::to_string(k + 1) + " is " +
                        (lua_type(L, -1) == LUA_TNUMBER ? "NaN" : luaL_typename(L, -1)));
    b[k] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  return {b[0], b[1]};
}

// kinds = { emergent = { alpha = {lo, hi}, beta = 0.3, ... }, ... } at the top of the stack,
// applied over `d` (only the ranges given change).
void read_kinds(lua_State* L, const std::string& path, cod::KindDistributions& d) {
  if (!lua_istable(L, -1)) fail(L, path, std::string("table expected, got ") + luaL_typename(L, -1));
  const int t = lua_gettop(L);
  check_keys(L, t, path, {"emergent", "non_emergent", "ceiling", "noisy", "zero"});
  for (std::size_t k = 0; k + 1 < cod::kNumItemKinds; ++k) {
    const char* kname = cod::kind_name(static_cast<cod::ItemKind>(k));
    const std::string kpath = path + "." + kname;
    if (lua_getfield(L, t, kname) == LUA_TNIL) {  // [kind]
      lua_pop(L, 1);
      continue;
    }
    if (!lua_istable(L, -1)) fail(L, kpath, std::string("table expected, got ") + luaL_typename(L, -1));
    const int kt = lua_gettop(L);
    check_keys(L, kt, kpath, {"alpha", "beta", "gamma", "guess", "cap", "noise"});
    cod::ParamRange* ranges[] = {&d[k].alpha, &d[k].beta, &d[k].gamma, &d[k].guess, &d[k].cap, &d[k].noise};
    for (std::size_t p = 0; p < 6; ++p) {
      if (lua_getfield(L, kt, kParams[p]) != LUA_TNIL) *ranges[p] = range_at_top(L, kpath + "." + kParams[p]);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);  // [kinds]
  }
  lua_getfield(L, t, "zero");
  if (!lua_isnil(L, -1)) fail(L, path + ".zero", "kind 'zero' has no parameters: its items are always 0");
  lua_pop(L, 1);
}

// mix = { emergent = 0.7, ... } at the top of the stack; kinds not named get 0.
std::array<double, cod::kNumItemKinds> read_mix(lua_State* L, const std::string& path) {
  if (!lua_istable(L, -1)) fail(L, path, std::string("table expected, got ") + luaL_typename(L, -1));
  const int t = lua_gettop(L);
  check_keys(L, t, path, {"emergent", "non_emergent", "ceiling", "noisy", "zero"});
  std::array<double, cod::kNumItemKinds> mix{};
  for (std::size_t k = 0; k < cod::kNumItemKinds; ++k)
    mix[k] = nested_number(L, t, cod::kind_name(static_cast<cod::ItemKind>(k)), path).value_or(0.0);
  return mix;
}

// An array of positive FLOP counts at the top of the stack.
std::vector<double> read_flops(lua_State* L, const std::string& path) {
  if (!lua_istable(L, -1)) fail(L, path, std::string("array of numbers expected, got ") + luaL_typename(L, -1));
  const lua_Integer n = luaL_len(L, -1);
  if (n == 0) fail(L, path, "array of numbers expected, got an empty table");
  std::vector<double> v;
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_geti(L, -1, i);
    if (lua_type(L, -1) != LUA_TNUMBER)
      fail(L, path, "element " + std::to_string(i) + " is a " + luaL_typename(L, -1) + ", expected a number");
    v.push_back(lua_tonumber(L, -1));
    lua_pop(L, 1);
  }
  return v;
}

// ---------------------------------------------------------------- synth.ladder

cod::SynthOptions read_options(lua_State* L) {
  codlua::Options o(L, 1, kFname,
                    {"seed", "models", "min_flops", "max_flops", "compute", "tokens_per_param", "target", "target_factor",
                     "target_flops", "anchors", "anchor_flops", "compute_unit", "trials", "single_answer", "items",
                     "mix", "kinds", "sets", "model_loss"});
  cod::SynthOptions opt;
  opt.seed = static_cast<std::uint64_t>(o.integer("seed", 1));

  // Models.
  if (o.has("compute")) {
    for (const char* k : {"models", "min_flops", "max_flops"})
      if (o.has(k)) o.fail("compute", std::string("give either compute or models/min_flops/max_flops, not '") + k + "' too");
    o.push("compute");
    opt.ladder_flops = read_flops(L, "compute");
    lua_pop(L, 1);
  }
  opt.models = o.integer("models", opt.models);
  opt.min_flops = o.number("min_flops", opt.min_flops);
  opt.max_flops = o.number("max_flops", opt.max_flops);
  opt.tokens_per_param = o.number("tokens_per_param", opt.tokens_per_param);
  opt.target = o.boolean("target", true);
  if (!opt.target)
    for (const char* k : {"target_factor", "target_flops"})
      if (o.has(k)) o.fail(k, "given with target = false");
  if (o.has("target_factor") && o.has("target_flops")) o.fail("target_flops", "give either target_factor or target_flops");
  opt.target_factor = o.number("target_factor", opt.target_factor);
  opt.target_flops = o.number("target_flops", cod::kUnknown);
  if (o.has("anchor_flops")) {
    if (o.has("anchors")) o.fail("anchor_flops", "give either anchors (a count) or anchor_flops");
    o.push("anchor_flops");
    opt.anchor_flops = read_flops(L, "anchor_flops");
    lua_pop(L, 1);
  }
  opt.anchors = o.integer("anchors", 0);
  opt.compute_unit = o.number("compute_unit", opt.compute_unit);

  // Sampling.
  opt.trials = o.integer("trials", opt.trials);
  if (o.boolean("single_answer", false)) {
    if (o.has("trials") && opt.trials != 1) o.fail("single_answer", "single_answer = true means trials = 1; drop 'trials'");
    opt.trials = 1;
  }

  // Model loss: {irreducible, scale, exponent} or false.
  o.push("model_loss");  // [v]
  if (lua_isboolean(L, -1) && !lua_toboolean(L, -1)) {
    opt.loss.enabled = false;
  } else if (lua_istable(L, -1)) {
    const int t = lua_gettop(L);
    check_keys(L, t, "model_loss", {"irreducible", "scale", "exponent"});
    opt.loss.irreducible = nested_number(L, t, "irreducible", "model_loss").value_or(opt.loss.irreducible);
    opt.loss.scale = nested_number(L, t, "scale", "model_loss").value_or(opt.loss.scale);
    opt.loss.exponent = nested_number(L, t, "exponent", "model_loss").value_or(opt.loss.exponent);
  } else if (!lua_isnil(L, -1)) {
    o.fail("model_loss", std::string("table or false expected, got ") + luaL_typename(L, -1));
  }
  lua_pop(L, 1);  // []

  // Call-wide defaults for the sets.
  cod::KindDistributions kinds = cod::default_kind_distributions();
  if (o.has("kinds")) {
    o.push("kinds");
    read_kinds(L, "kinds", kinds);
    lua_pop(L, 1);
  }
  std::array<double, cod::kNumItemKinds> mix = cod::default_mix();
  if (o.has("mix")) {
    o.push("mix");
    mix = read_mix(L, "mix");
    lua_pop(L, 1);
  }
  const long long items = o.integer("items", 1000);

  if (!o.has("sets")) {
    cod::SynthSetSpec s;
    s.name = "synth";
    s.items = items;
    s.mix = mix;
    s.kinds = kinds;
    opt.sets.push_back(std::move(s));
    return opt;
  }
  o.push("sets");  // [sets]
  if (!lua_istable(L, -1)) o.fail("sets", std::string("array of set tables expected, got ") + luaL_typename(L, -1));
  const int st = lua_gettop(L);
  const lua_Integer n = luaL_len(L, st);
  if (n == 0) o.fail("sets", "at least one set is needed");
  for (lua_Integer i = 1; i <= n; ++i) {
    const std::string path = "sets[" + std::to_string(i) + "]";
    lua_geti(L, st, i);  // [sets, set]
    if (!lua_istable(L, -1)) fail(L, path, std::string("table expected, got ") + luaL_typename(L, -1));
    const int t = lua_gettop(L);
    check_keys(L, t, path, {"name", "items", "mix", "kinds", "trials"});
    cod::SynthSetSpec s;
    if (lua_getfield(L, t, "name") == LUA_TSTRING)
      s.name = lua_tostring(L, -1);
    else if (lua_isnil(L, -1))
      s.name = "set-" + std::to_string(i);
    else
      fail(L, path + ".name", std::string("string expected, got ") + luaL_typename(L, -1));
    lua_pop(L, 1);
    s.items = nested_integer(L, t, "items", path).value_or(items);
    if (const auto tr = nested_integer(L, t, "trials", path)) {  // absent: the call's trials (-1)
      if (*tr < 0) fail(L, path + ".trials", "must be >= 0, got " + std::to_string(*tr));
      s.trials = *tr;
    }
    s.mix = mix;
    if (lua_getfield(L, t, "mix") != LUA_TNIL) s.mix = read_mix(L, path + ".mix");
    lua_pop(L, 1);
    s.kinds = kinds;
    if (lua_getfield(L, t, "kinds") != LUA_TNIL) read_kinds(L, path + ".kinds", s.kinds);
    lua_pop(L, 1);
    opt.sets.push_back(std::move(s));
    lua_pop(L, 1);  // [sets]
  }
  lua_pop(L, 1);  // []
  return opt;
}

// The truth as a plain table (prob as a cod.Matrix); layout in docs/synth.md.
void push_truth(lua_State* L, const cod::Dataset& ds, const cod::SynthTruth& truth) {
  lua_createtable(L, 0, 7);  // [truth]
  lua_pushinteger(L, static_cast<lua_Integer>(truth.seed));
  lua_setfield(L, -2, "seed");
  set_field(L, "compute_unit", ds.compute_unit);
  const std::size_t nm = ds.models.size();
  lua_createtable(L, static_cast<int>(nm), 0);  // [truth, models]
  for (std::size_t j = 0; j < nm; ++j) {
    lua_pushstring(L, ds.models[j].name.c_str());
    lua_rawseti(L, -2, static_cast<lua_Integer>(j + 1));
  }
  lua_setfield(L, -2, "models");
  lua_createtable(L, static_cast<int>(nm), 0);  // [truth, roles]
  for (std::size_t j = 0; j < nm; ++j) {
    lua_pushstring(L, cod::role_name(ds.models[j].role));
    lua_rawseti(L, -2, static_cast<lua_Integer>(j + 1));
  }
  lua_setfield(L, -2, "roles");
  lua_createtable(L, static_cast<int>(nm), 0);  // [truth, compute]
  for (std::size_t j = 0; j < nm; ++j) {
    lua_pushnumber(L, ds.models[j].compute_flops / ds.compute_unit);
    lua_rawseti(L, -2, static_cast<lua_Integer>(j + 1));
  }
  lua_setfield(L, -2, "compute");

  std::vector<std::string> names;
  for (const auto& s : truth.sets) names.push_back(s.name);
  codlua::push_string_array(L, names);
  lua_setfield(L, -2, "set_names");

  lua_createtable(L, 0, static_cast<int>(truth.sets.size()));  // [truth, sets]
  for (const cod::SynthSetTruth& s : truth.sets) {
    const std::size_t ni = s.kinds.size();
    lua_createtable(L, 0, 16);  // [truth, sets, set]
    set_field(L, "name", s.name);
    set_field(L, "trials", static_cast<long long>(s.trials));
    set_field(L, "items", ni);
    codlua::push_number_array(L, s.metric);
    lua_setfield(L, -2, "metric");

    lua_createtable(L, static_cast<int>(ni), 0);  // [.., set, kinds]
    for (std::size_t i = 0; i < ni; ++i) {
      lua_pushstring(L, cod::kind_name(s.kinds[i]));
      lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
    }
    lua_setfield(L, -2, "kinds");

    lua_createtable(L, 0, static_cast<int>(cod::kNumItemKinds));  // [.., set, counts]
    for (std::size_t k = 0; k < cod::kNumItemKinds; ++k) {
      lua_pushinteger(L, static_cast<lua_Integer>(s.counts[k]));
      lua_setfield(L, -2, cod::kind_name(static_cast<cod::ItemKind>(k)));
    }
    lua_setfield(L, -2, "counts");

    // Per-kind expected metric per model; kinds with no items are absent.
    lua_createtable(L, 0, static_cast<int>(cod::kNumItemKinds));  // [.., set, kind_metric]
    for (std::size_t k = 0; k < cod::kNumItemKinds; ++k) {
      if (s.kind_metric[k].empty()) continue;
      codlua::push_number_array(L, s.kind_metric[k]);
      lua_setfield(L, -2, cod::kind_name(static_cast<cod::ItemKind>(k)));
    }
    lua_setfield(L, -2, "kind_metric");

    std::vector<double> col(ni);
    const double cod::SynthItemParams::*fields[] = {&cod::SynthItemParams::alpha, &cod::SynthItemParams::beta,
                                                    &cod::SynthItemParams::gamma, &cod::SynthItemParams::guess,
                                                    &cod::SynthItemParams::cap,   &cod::SynthItemParams::noise};
    for (std::size_t p = 0; p < 6; ++p) {
      for (std::size_t i = 0; i < ni; ++i) col[i] = s.params[i].*fields[p];
      codlua::push_number_array(L, col);
      lua_setfield(L, -2, kParams[p]);
    }
    codlua::push_matrix(L, s.prob);
    lua_setfield(L, -2, "prob");
    lua_setfield(L, -2, s.name.c_str());  // [truth, sets]
  }
  lua_setfield(L, -2, "sets");  // [truth]
}

int f_ladder(lua_State* L) {
  if (!lua_isnoneornil(L, 1)) luaL_checktype(L, 1, LUA_TTABLE);
  const cod::SynthOptions opt = read_options(L);
  return guarded(L, [&] {
    cod::SynthResult r = cod::synth_ladder(opt);
    auto ds = std::make_shared<cod::Dataset>(std::move(r.data));
    codlua::push_box(L, ds, kDatasetType);  // [ds]
    push_truth(L, *ds, r.truth);            // [ds, truth]
    return 2;
  });
}

// ---------------------------------------------------------------- synth.defaults

void push_range(lua_State* L, const cod::ParamRange& r) {
  lua_createtable(L, 2, 0);
  lua_pushnumber(L, r.lo);
  lua_rawseti(L, -2, 1);
  lua_pushnumber(L, r.hi);
  lua_rawseti(L, -2, 2);
}

// defaults() -> {mix = {...}, kinds = {emergent = {alpha = {lo, hi}, ...}, ...}}
int f_defaults(lua_State* L) {
  return guarded(L, [&] {
    lua_createtable(L, 0, 2);  // [t]
    const auto mix = cod::default_mix();
    lua_createtable(L, 0, static_cast<int>(cod::kNumItemKinds));  // [t, mix]
    for (std::size_t k = 0; k < cod::kNumItemKinds; ++k) set_field(L, cod::kind_name(static_cast<cod::ItemKind>(k)), mix[k]);
    lua_setfield(L, -2, "mix");
    const cod::KindDistributions d = cod::default_kind_distributions();
    lua_createtable(L, 0, 4);  // [t, kinds]
    for (std::size_t k = 0; k + 1 < cod::kNumItemKinds; ++k) {
      lua_createtable(L, 0, 6);  // [t, kinds, kind]
      const cod::ParamRange* ranges[] = {&d[k].alpha, &d[k].beta, &d[k].gamma, &d[k].guess, &d[k].cap, &d[k].noise};
      for (std::size_t p = 0; p < 6; ++p) {
        push_range(L, *ranges[p]);
        lua_setfield(L, -2, kParams[p]);
      }
      lua_setfield(L, -2, cod::kind_name(static_cast<cod::ItemKind>(k)));
    }
    lua_setfield(L, -2, "kinds");
    return 1;
  });
}

// ---------------------------------------------------------------- synth.lmeval

// lmeval(ds, set_names, probs, dir [, {seed=, choices=, noise=, date=}]) -> {files}, {acc matrices}
int f_lmeval(lua_State* L) {
  const auto ds = codlua::check_box<cod::Dataset>(L, 1, kDatasetType);
  const std::vector<std::string> names = codlua::check_string_array(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  std::vector<cod::Matrix> probs;
  for (lua_Integer i = 1; i <= static_cast<lua_Integer>(names.size()); ++i) {
    lua_rawgeti(L, 3, i);  // [.., prob]
    probs.push_back(codlua::check_matrix(L, -1));
    lua_pop(L, 1);
  }
  const std::string dir = luaL_checkstring(L, 4);
  codlua::Options opts(L, 5, "lmeval", {"seed", "choices", "noise", "date"});
  cod::SynthLmEvalOptions opt;
  opt.seed = static_cast<std::uint64_t>(opts.integer("seed", 1));
  opt.choices = opts.integer("choices", opt.choices);
  opt.noise = opts.number("noise", opt.noise);
  opt.date = opts.string("date", opt.date);
  return guarded(L, [&] {
    cod::SynthLmEvalResult r = cod::synth_lmeval(ds->models, names, probs, dir, opt);
    codlua::push_string_array(L, r.files);  // [files]
    lua_createtable(L, static_cast<int>(r.acc.size()), 0);  // [files, acc]
    for (std::size_t s = 0; s < r.acc.size(); ++s) {
      codlua::push_matrix(L, std::move(r.acc[s]));
      lua_rawseti(L, -2, static_cast<lua_Integer>(s + 1));
    }
    return 2;
  });
}

// item_probability({alpha=, beta=, gamma=, guess=, cap=}, C) -> the item law without noise
// (cod::synth_item_probability), C in compute units.
int f_item_probability(lua_State* L) {
  return codlua::guarded(L, [&] {
    codlua::Options o(L, 1, "item_probability", {"alpha", "beta", "gamma", "guess", "cap", "noise"});
    luaL_checktype(L, 1, LUA_TTABLE);
    cod::SynthItemParams p;
    p.alpha = o.number("alpha", 0);
    p.beta = o.number("beta", 0);
    p.gamma = o.number("gamma", 0);
    p.guess = o.number("guess", 0);
    p.cap = o.number("cap", 1);
    const double C = luaL_checknumber(L, 2);
    luaL_argcheck(L, C > 0 && std::isfinite(C), 2, "compute must be positive and finite");
    lua_pushnumber(L, cod::synth_item_probability(p, C));
    return 1;
  });
}

const luaL_Reg kFunctions[] = {{"ladder", f_ladder}, {"defaults", f_defaults},
                               {"item_probability", f_item_probability}, {"lmeval", f_lmeval},
                               {nullptr, nullptr}};

int luaopen_cod_core_synth(lua_State* L) {
  // The dataset userdata's metatable belongs to cod.core.data: make sure it exists.
  lua_getglobal(L, "require");
  lua_pushstring(L, "cod.core.data");
  lua_call(L, 1, 0);
  return codlua::new_module(L, kFunctions);
}

codlua::ModuleRegistration reg_synth("cod.core.synth", luaopen_cod_core_synth);

}  // namespace
