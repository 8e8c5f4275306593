// cod.core.version: the engine's version string.

#include "modules.hpp"
#include "support.hpp"

namespace {

int luaopen_cod_core_version(lua_State* L) {
  lua_newtable(L);
  codlua::set_field(L, "version", COD_VERSION);
  return 1;
}

codlua::ModuleRegistration reg_version("cod.core.version", luaopen_cod_core_version);

}  // namespace
