#pragma once
/// @file modules.hpp
/// Registry of the C++ Lua modules. Each l_<module>.cpp registers its
/// luaopen function with a static ModuleRegistration; the host puts them all
/// in package.preload, so `require "cod.core.<module>"` finds them.

#include <lua.hpp>

#include <utility>
#include <vector>

namespace codlua {

struct ModuleEntry {
  const char* name;
  lua_CFunction open;
};

/** All registered modules (filled during static initialisation). */
std::vector<ModuleEntry>& module_registry();

/** Adds a module to the registry; define one at namespace scope per module. */
struct ModuleRegistration {
  ModuleRegistration(const char* name, lua_CFunction open) { module_registry().push_back({name, open}); }
};

/** Put every registered module into package.preload. */
void preload_modules(lua_State* L);

}  // namespace codlua
