#include "support.hpp"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

namespace codlua {
namespace {

[[noreturn]] void arg_error(lua_State* L, int idx, const std::string& msg) {
  luaL_argerror(L, idx, msg.c_str());
  __builtin_unreachable();  // luaL_argerror raises
}

}  // namespace

bool is_box(lua_State* L, int idx, const char* tname) {
  return luaL_testudata(L, idx, tname) != nullptr;
}

cod::Matrix check_matrix(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  if (is_box(L, idx, kMatrixType)) return *check_box<cod::Matrix>(L, idx, kMatrixType);
  if (!lua_istable(L, idx)) {
    std::string msg = std::string("matrix or table of rows expected, got ") + luaL_typename(L, idx);
    arg_error(L, idx, msg);
  }
  const lua_Integer rows = luaL_len(L, idx);
  lua_Integer cols = -1;
  cod::Matrix m;
  for (lua_Integer i = 1; i <= rows; ++i) {
    lua_geti(L, idx, i);  // [row]
    if (!lua_istable(L, -1)) {
      std::string msg = "row " + std::to_string(i) + " is a " + luaL_typename(L, -1) + ", expected a table of numbers";
      arg_error(L, idx, msg);
    }
    const lua_Integer len = luaL_len(L, -1);
    if (cols < 0) {
      cols = len;
      m.resize(rows, cols);
    } else if (len != cols) {
      std::string msg = "row " + std::to_string(i) + " has " + std::to_string(len) + " values, expected " +
                        std::to_string(cols) + " like row 1";
      arg_error(L, idx, msg);
    }
    for (lua_Integer j = 1; j <= len; ++j) {
      lua_geti(L, -1, j);  // [row, v]
      int isnum = 0;
      const lua_Number v = lua_tonumberx(L, -1, &isnum);
      if (!isnum) {
        std::string msg = "row " + std::to_string(i) + ", column " + std::to_string(j) + " is a " +
                          luaL_typename(L, -1) + ", expected a number";
        arg_error(L, idx, msg);
      }
      m(i - 1, j - 1) = v;
      lua_pop(L, 1);  // [row]
    }
    lua_pop(L, 1);  // []
  }
  if (rows == 0) m.resize(0, 0);
  return m;
}

void push_matrix(lua_State* L, cod::Matrix m) {
  push_box(L, std::make_shared<cod::Matrix>(std::move(m)), kMatrixType);
}

std::vector<double> check_number_array(lua_State* L, int idx, bool finite) {
  idx = lua_absindex(L, idx);
  luaL_checktype(L, idx, LUA_TTABLE);
  const lua_Integer n = luaL_len(L, idx);
  std::vector<double> out(static_cast<std::size_t>(n));
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_geti(L, idx, i);
    int isnum = 0;
    const lua_Number v = lua_tonumberx(L, -1, &isnum);
    if (!isnum) {
      std::string msg = "element " + std::to_string(i) + " is a " + luaL_typename(L, -1) + ", expected a number";
      arg_error(L, idx, msg);
    }
    if (finite && !std::isfinite(v)) {
      std::string msg = "element " + std::to_string(i) + " is not a finite number";
      arg_error(L, idx, msg);
    }
    out[static_cast<std::size_t>(i - 1)] = v;
    lua_pop(L, 1);
  }
  return out;
}

std::vector<std::string> check_string_array(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  luaL_checktype(L, idx, LUA_TTABLE);
  const lua_Integer n = luaL_len(L, idx);
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_geti(L, idx, i);
    if (lua_type(L, -1) != LUA_TSTRING) {
      std::string msg = "element " + std::to_string(i) + " is a " + luaL_typename(L, -1) + ", expected a string";
      arg_error(L, idx, msg);
    }
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    out.emplace_back(s, len);
    lua_pop(L, 1);
  }
  return out;
}

std::vector<int> check_index_array(lua_State* L, int idx, int n) {
  idx = lua_absindex(L, idx);
  luaL_checktype(L, idx, LUA_TTABLE);
  const lua_Integer len = luaL_len(L, idx);
  std::vector<int> out;
  out.reserve(static_cast<std::size_t>(len));
  for (lua_Integer i = 1; i <= len; ++i) {
    lua_geti(L, idx, i);
    int isnum = 0;
    const lua_Integer v = lua_tointegerx(L, -1, &isnum);
    if (!isnum || v < 1 || v > n) {
      std::string msg = "element " + std::to_string(i) + " must be an index in [1, " + std::to_string(n) + "]";
      arg_error(L, idx, msg);
    }
    out.push_back(static_cast<int>(v - 1));
    lua_pop(L, 1);
  }
  return out;
}

void push_number_array(lua_State* L, const std::vector<double>& v) {
  lua_createtable(L, static_cast<int>(v.size()), 0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

void push_vector(lua_State* L, const cod::Vector& v) {
  lua_createtable(L, static_cast<int>(v.size()), 0);
  for (Eigen::Index i = 0; i < v.size(); ++i) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

void push_string_array(lua_State* L, const std::vector<std::string>& v) {
  lua_createtable(L, static_cast<int>(v.size()), 0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    lua_pushlstring(L, v[i].data(), v[i].size());
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

void push_index_array(lua_State* L, const std::vector<int>& v) {
  lua_createtable(L, static_cast<int>(v.size()), 0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    lua_pushinteger(L, v[i] >= 0 ? v[i] + 1 : v[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

void push_labels(lua_State* L, const std::vector<int>& labels) {
  lua_createtable(L, static_cast<int>(labels.size()), 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    lua_pushinteger(L, lua_label(labels[i]));
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
}

std::vector<int> check_labels(lua_State* L, int idx, int argn, const char* expected) {
  if (!lua_istable(L, idx)) {
    const std::string msg = std::string(expected) + " expected, got " + luaL_typename(L, idx);
    luaL_argerror(L, argn, msg.c_str());
  }
  const lua_Integer n = luaL_len(L, idx);
  std::vector<int> out(static_cast<std::size_t>(n));
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_geti(L, idx, i);  // [label]
    int isint = 0;
    const lua_Integer v = lua_tointegerx(L, -1, &isint);
    lua_pop(L, 1);
    if (!isint || v == 0 || v < -1 || v > INT_MAX) {
      const std::string msg = "label of item " + std::to_string(i) + " must be a cluster id 1, 2, ... or -1 (none)";
      luaL_argerror(L, argn, msg.c_str());
    }
    out[static_cast<std::size_t>(i - 1)] = v < 0 ? -1 : static_cast<int>(v - 1);
  }
  return out;
}

// ---------------------------------------------------------------- Options

Options::Options(lua_State* L, int idx, const char* fname, std::initializer_list<const char*> valid)
    : L_(L), idx_(0), fname_(fname) {
  if (lua_isnoneornil(L, idx)) return;
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) {
    std::string msg = std::string("option table expected, got ") + luaL_typename(L, idx);
    arg_error(L, idx, msg);
  }
  idx_ = idx;
  lua_pushnil(L);  // [nil]
  while (lua_next(L, idx_) != 0) {  // [key, value]
    bool ok = false;
    if (lua_type(L, -2) == LUA_TSTRING) {
      const char* key = lua_tostring(L, -2);
      for (const char* v : valid)
        if (std::strcmp(v, key) == 0) ok = true;
    }
    if (!ok) {
      std::string list;
      for (const char* v : valid) list += (list.empty() ? "" : ", ") + std::string(v);
      if (list.empty()) list = "none";
      lua_pushvalue(L, -2);  // [key, value, key] (tostring of a copy, never of the key lua_next uses)
      std::string key = luaL_tolstring(L, -1, nullptr);
      luaL_error(L, "bad option '%s' to '%s' (valid options: %s)", key.c_str(), fname_, list.c_str());
    }
    lua_pop(L, 1);  // [key]
  }
}

bool Options::has(const char* key) const {
  if (idx_ == 0) return false;
  const int t = lua_getfield(L_, idx_, key);
  lua_pop(L_, 1);
  return t != LUA_TNIL;
}

void Options::push(const char* key) const {
  if (idx_ == 0)
    lua_pushnil(L_);
  else
    lua_getfield(L_, idx_, key);
}

void Options::fail(const char* key, const std::string& msg) const {
  luaL_error(L_, "bad option '%s' to '%s' (%s)", key, fname_, msg.c_str());
  __builtin_unreachable();  // luaL_error raises
}

std::optional<double> Options::number(const char* key) const {
  push(key);
  if (lua_isnil(L_, -1)) {
    lua_pop(L_, 1);
    return std::nullopt;
  }
  int isnum = 0;
  const double v = lua_tonumberx(L_, -1, &isnum);
  if (!isnum || lua_type(L_, -1) != LUA_TNUMBER)
    fail(key, std::string("number expected, got ") + luaL_typename(L_, -1));
  lua_pop(L_, 1);
  if (std::isnan(v)) fail(key, "number expected, got NaN");
  return v;
}

double Options::number(const char* key, double fallback) const {
  auto v = number(key);
  return v ? *v : fallback;
}

long long Options::integer(const char* key, long long fallback) const {
  push(key);
  if (lua_isnil(L_, -1)) {
    lua_pop(L_, 1);
    return fallback;
  }
  int isint = 0;
  const lua_Integer v = lua_tointegerx(L_, -1, &isint);
  if (!isint || lua_type(L_, -1) != LUA_TNUMBER) {
    std::string got = lua_type(L_, -1) == LUA_TNUMBER ? "a non-integer number" : luaL_typename(L_, -1);
    fail(key, "integer expected, got " + got);
  }
  lua_pop(L_, 1);
  return v;
}

bool Options::boolean(const char* key, bool fallback) const {
  push(key);
  if (lua_isnil(L_, -1)) {
    lua_pop(L_, 1);
    return fallback;
  }
  if (!lua_isboolean(L_, -1)) fail(key, std::string("boolean expected, got ") + luaL_typename(L_, -1));
  const bool v = lua_toboolean(L_, -1);
  lua_pop(L_, 1);
  return v;
}

std::optional<std::string> Options::string(const char* key) const {
  push(key);
  if (lua_isnil(L_, -1)) {
    lua_pop(L_, 1);
    return std::nullopt;
  }
  if (lua_type(L_, -1) != LUA_TSTRING) fail(key, std::string("string expected, got ") + luaL_typename(L_, -1));
  size_t len = 0;
  const char* s = lua_tolstring(L_, -1, &len);
  std::string v(s, len);
  lua_pop(L_, 1);
  return v;
}

std::string Options::string(const char* key, const std::string& fallback) const {
  auto v = string(key);
  return v ? *v : fallback;
}

// ---------------------------------------------------------------- fields

void set_field(lua_State* L, const char* key, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, key);
}
void set_field(lua_State* L, const char* key, int v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}
void set_field(lua_State* L, const char* key, long long v) {
  lua_pushinteger(L, static_cast<lua_Integer>(v));
  lua_setfield(L, -2, key);
}
void set_field(lua_State* L, const char* key, std::size_t v) {
  lua_pushinteger(L, static_cast<lua_Integer>(v));
  lua_setfield(L, -2, key);
}
void set_field(lua_State* L, const char* key, bool v) {
  lua_pushboolean(L, v);
  lua_setfield(L, -2, key);
}
void set_field(lua_State* L, const char* key, const std::string& v) {
  lua_pushlstring(L, v.data(), v.size());
  lua_setfield(L, -2, key);
}
void set_field(lua_State* L, const char* key, const char* v) {
  lua_pushstring(L, v);
  lua_setfield(L, -2, key);
}

}  // namespace codlua

namespace codlua {
namespace {

constexpr const char* kUserErrorType = "cod.UserError";

int user_error_tostring(lua_State* L) {
  lua_getfield(L, 1, "message");  // [e, message]
  if (!lua_isstring(L, -1)) lua_pushliteral(L, "(user error without a message)");
  return 1;
}

}  // namespace

void push_user_error_metatable(lua_State* L) {
  if (luaL_newmetatable(L, kUserErrorType)) {  // [mt]
    lua_pushcfunction(L, user_error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "user error");
    lua_setfield(L, -2, "__metatable");  // user code can't swap it (the sandbox relies on that)
  }
}

bool is_user_error(lua_State* L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE) return false;
  if (!lua_getmetatable(L, idx)) return false;  // [mt]
  luaL_getmetatable(L, kUserErrorType);         // [mt, user_mt]
  const bool same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

void push_user_error(lua_State* L, const std::string& message, int status, const cod::InputError* where) {
  lua_createtable(L, 0, 5);  // [e]
  set_field(L, "message", message);
  set_field(L, "status", status);
  if (where != nullptr) {
    set_field(L, "file", where->file());
    if (where->line() > 0) set_field(L, "line", where->line());
    if (!where->column().empty()) set_field(L, "column", where->column());
  }
  push_user_error_metatable(L);  // [e, mt]
  lua_setmetatable(L, -2);       // [e]
}

namespace {
int close_file(lua_State* L) {
  auto* p = static_cast<luaL_Stream*>(luaL_checkudata(L, 1, LUA_FILEHANDLE));
  errno = 0;
  return luaL_fileresult(L, std::fclose(p->f) == 0, nullptr);
}
}  // namespace

int push_file(lua_State* L, int fd, const char* mode, const std::string& path) {
  auto* p = static_cast<luaL_Stream*>(lua_newuserdatauv(L, sizeof(luaL_Stream), 0));
  p->closef = nullptr;  // not open yet: the collector must not close it
  luaL_setmetatable(L, LUA_FILEHANDLE);
  p->f = ::fdopen(fd, mode);
  if (!p->f) {
    const int e = errno;
    ::close(fd);
    lua_pop(L, 1);
    errno = e;
    return luaL_fileresult(L, 0, path.c_str());
  }
  p->closef = &close_file;
  return 1;
}

}  // namespace codlua
