#include "modules.hpp"

namespace codlua {

std::vector<ModuleEntry>& module_registry() {
  static std::vector<ModuleEntry> registry;  // function-local: safe during static init
  return registry;
}

void preload_modules(lua_State* L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);  // [preload]
  for (const auto& m : module_registry()) {
    lua_pushcfunction(L, m.open);
    lua_setfield(L, -2, m.name);
  }
  lua_pop(L, 1);
}

}  // namespace codlua
