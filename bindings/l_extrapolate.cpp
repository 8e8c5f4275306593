// cod.core.extrapolate: the subset prediction of SPEC §6, bound once (cod/extrapolate.hpp).
// cod.extrapolate and the pipeline's extrapolate stage compose it; neither restates it.

#include <cstddef>
#include <string>
#include <vector>

#include "cod/extrapolate.hpp"
#include "modules.hpp"
#include "support.hpp"

namespace {

// An array of booleans (one per cluster).
std::vector<bool> check_flags(lua_State* L, int idx) {
  luaL_checktype(L, idx, LUA_TTABLE);
  std::vector<bool> out;
  for (lua_Integer i = 1, n = luaL_len(L, idx); i <= n; ++i) {
    lua_geti(L, idx, i);  // [flag]
    if (!lua_isboolean(L, -1)) {
      const std::string msg = "element " + std::to_string(i) + " must be a boolean, got " + luaL_typename(L, -1);
      luaL_argerror(L, idx, msg.c_str());
    }
    out.push_back(lua_toboolean(L, -1) != 0);
    lua_pop(L, 1);  // []
  }
  return out;
}

// subset_prediction(sizes, predictions, included [, total_items]) -> {ok, value?, size, reason?}
// predictions may hold NaN for clusters that are not included (their fit failed).
int l_subset_prediction(lua_State* L) {
  return codlua::guarded(L, [&] {
    const auto raw_sizes = codlua::check_number_array(L, 1, true);
    std::vector<std::size_t> sizes;
    for (std::size_t k = 0; k < raw_sizes.size(); ++k) {
      const double s = raw_sizes[k];
      if (!(s >= 0) || s != static_cast<double>(static_cast<long long>(s))) {
        const std::string msg = "size " + std::to_string(k + 1) + " must be a non-negative integer";
        luaL_argerror(L, 1, msg.c_str());
      }
      sizes.push_back(static_cast<std::size_t>(s));
    }
    const auto predictions = codlua::check_number_array(L, 2);
    const auto included = check_flags(L, 3);
    const lua_Integer total = luaL_optinteger(L, 4, 0);
    luaL_argcheck(L, total >= 0, 4, "the item total must be >= 0");
    const cod::Extrapolation ex = cod::subset_prediction(sizes, predictions, included, static_cast<std::size_t>(total));
    lua_createtable(L, 0, 4);  // [r]
    codlua::set_field(L, "ok", ex.ok);
    codlua::set_field(L, "size", ex.size);
    if (ex.ok) codlua::set_field(L, "value", ex.value);
    if (!ex.ok) codlua::set_field(L, "reason", ex.reason);
    return 1;
  });
}

int luaopen_cod_core_extrapolate(lua_State* L) {
  const luaL_Reg fns[] = {{"subset_prediction", l_subset_prediction}, {nullptr, nullptr}};
  return codlua::new_module(L, fns);
}

codlua::ModuleRegistration reg_extrapolate("cod.core.extrapolate", luaopen_cod_core_extrapolate);

}  // namespace
