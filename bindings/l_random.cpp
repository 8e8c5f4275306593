// cod.core.random: a seeded, platform-independent random stream (the engine's
// SynthRng) for bootstrap resampling in Lua recipes.

#include <climits>
#include <cmath>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "cod/error.hpp"
#include "cod/synth.hpp"
#include "modules.hpp"
#include "support.hpp"

namespace {

constexpr const char* kRngType = "cod.Random";

cod::SynthRng& self(lua_State* L) { return *codlua::check_box<cod::SynthRng>(L, 1, kRngType); }

// SplitMix64's output function: spreads a counter over 64 bits.
std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// random.new(seed [, stream]) -> cod.Random
// With a stream number k, the generator is seeded with splitmix64(splitmix64(seed) + k):
// one independent stream per (seed, k), so task k (a bootstrap round) draws the same
// numbers whichever worker runs it and whatever ran before.
int f_new(lua_State* L) {
  const lua_Integer seed = luaL_checkinteger(L, 1);
  const bool has_stream = !lua_isnoneornil(L, 2);
  const lua_Integer stream = has_stream ? luaL_checkinteger(L, 2) : 0;
  return codlua::guarded(L, [&] {
    std::uint64_t s = static_cast<std::uint64_t>(seed);
    if (has_stream) s = splitmix64(splitmix64(s) + static_cast<std::uint64_t>(stream));
    codlua::push_box(L, std::make_shared<cod::SynthRng>(s), kRngType);
    return 1;
  });
}

// rng:uniform() -> number in [0, 1)
int r_uniform(lua_State* L) {
  lua_pushnumber(L, self(L).uniform());
  return 1;
}

// rng:below(n) -> integer in [1, n]
int r_below(lua_State* L) {
  auto& rng = self(L);
  const lua_Integer n = luaL_checkinteger(L, 2);
  luaL_argcheck(L, n >= 1, 2, "must be >= 1");
  lua_pushinteger(L, static_cast<lua_Integer>(rng.below(static_cast<std::uint64_t>(n))) + 1);
  return 1;
}

// rng:binomial(n, p) -> integer
int r_binomial(lua_State* L) {
  auto& rng = self(L);
  const lua_Integer n = luaL_checkinteger(L, 2);
  const double p = luaL_checknumber(L, 3);
  return codlua::guarded(L, [&] {
    lua_pushinteger(L, rng.binomial(n, p));
    return 1;
  });
}

// rng:sample_rows(n) -> n row indices in [1, n] drawn with replacement (a bootstrap sample)
int r_sample_rows(lua_State* L) {
  auto& rng = self(L);
  const lua_Integer n = luaL_checkinteger(L, 2);
  // A Lua table holds at most INT_MAX entries; a larger n was cut by the int cast and the
  // loop below ran until memory ran out (found probing bindings with huge integers).
  luaL_argcheck(L, n >= 1 && n <= INT_MAX, 2, "must be in [1, 2147483647]");
  lua_createtable(L, static_cast<int>(n), 0);
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_pushinteger(L, static_cast<lua_Integer>(rng.below(static_cast<std::uint64_t>(n))) + 1);
    lua_rawseti(L, -2, i);
  }
  return 1;
}

// rng:resample_passrates(P, N) -> matrix whose cells are Binomial(N, P)/N (cells with N = 0 kept)
int r_resample_passrates(lua_State* L) {
  auto& rng = self(L);
  const cod::Matrix P = codlua::check_matrix(L, 2);
  const cod::Matrix N = codlua::check_matrix(L, 3);
  return codlua::guarded(L, [&] {
    if (P.rows() != N.rows() || P.cols() != N.cols())
      throw cod::Error("resample_passrates: pass rates are " + std::to_string(P.rows()) + " x " +
                       std::to_string(P.cols()) + " but trial counts are " + std::to_string(N.rows()) + " x " +
                       std::to_string(N.cols()));
    cod::Matrix out = P;
    for (Eigen::Index i = 0; i < P.rows(); ++i)
      for (Eigen::Index j = 0; j < P.cols(); ++j) {
        const double n = N(i, j);
        // Checked before the cast: llround of 1e300 (or NaN) is undefined.
        if (!(n >= 0 && n <= 1e15))
          throw cod::UserError("resample_passrates: trial count " + fmt::format("{:.6g}", n) + " at row " +
                               std::to_string(i + 1) + ", column " + std::to_string(j + 1) +
                               " is outside [0, 1e15]");
        if (n >= 1) out(i, j) = static_cast<double>(rng.binomial(static_cast<long long>(std::llround(n)), P(i, j))) / n;
      }
    codlua::push_matrix(L, std::move(out));
    return 1;
  });
}

int r_tostring(lua_State* L) {
  lua_pushstring(L, "cod.Random");
  return 1;
}

const luaL_Reg kMethods[] = {{"uniform", r_uniform},
                             {"below", r_below},
                             {"binomial", r_binomial},
                             {"sample_rows", r_sample_rows},
                             {"resample_passrates", r_resample_passrates},
                             {nullptr, nullptr}};

int luaopen_cod_core_random(lua_State* L) {
  codlua::register_type<cod::SynthRng>(L, kRngType, kMethods, r_tostring);
  const luaL_Reg funcs[] = {{"new", f_new}, {nullptr, nullptr}};
  return codlua::new_module(L, funcs);
}

codlua::ModuleRegistration reg_random("cod.core.random", luaopen_cod_core_random);

}  // namespace
