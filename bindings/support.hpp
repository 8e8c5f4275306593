#pragma once
/// @file support.hpp
/// The one place where the rules of the Lua border live: guarded exception
/// translation, userdata boxes around shared_ptr, table <-> vector/matrix
/// conversion, and checked option tables. Every l_<module>.cpp uses these.

#include <lua.hpp>

#include <exception>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cod/error.hpp"
#include "cod/matrix.hpp"

namespace codlua {

/**
 * Push a user error: a table {message, status, file?, line?, column?} with the
 * metatable `cod.UserError` (its __tostring is the message). The host prints it
 * as one line, without a traceback, and exits with `status` (1 input, 2 usage);
 * any other error value is a bug and keeps its traceback (DESIGN rule 9).
 * `where` adds the position of an input-file error.
 */
void push_user_error(lua_State* L, const std::string& message, int status = 1,
                     const cod::InputError* where = nullptr);

/** Push the metatable of user errors (created on first use). */
void push_user_error_metatable(lua_State* L);

/** Whether the value at `idx` is a user error made by push_user_error. */
bool is_user_error(lua_State* L, int idx);

/**
 * Run `body` (which returns the number of Lua results) and translate any
 * std::exception into a Lua error: a cod::UserError (a user's mistake; an
 * InputError keeps its file/line/column) becomes a user error object, anything
 * else a message string. The error is copied out of the catch scope before
 * lua_error, so no C++ exception object is live while Lua unwinds.
 * Lua's own errors (lua_error inside body) pass through untouched: with Lua
 * built as C++ they are C++ exceptions of Lua's private type, which is not a
 * std::exception.
 */
template <class Body>
int guarded(lua_State* L, Body&& body) {
  std::string message;
  std::optional<cod::InputError> input;
  bool user = false;
  try {
    return body();
  } catch (const cod::InputError& e) {
    input.emplace(e);
  } catch (const cod::UserError& e) {
    user = true;
    message = e.what();
  } catch (const std::exception& e) {
    message = e.what();
  }
  if (input) {
    push_user_error(L, input->what(), 1, &*input);
    input.reset();
  } else if (user) {
    push_user_error(L, message, 1);
  } else {
    lua_pushlstring(L, message.data(), message.size());
  }
  return lua_error(L);
}

// ---------------------------------------------------------------- userdata boxes

/** The userdata payload: a shared_ptr that is reset on release (__gc/__close may run twice). */
template <class T>
struct Box {
  std::shared_ptr<T> ptr;
};

/**
 * Create the metatable `tname` with `methods` as its __index table plus
 * __gc/__close (release) and __tostring (`tostring_fn`, may be null).
 * Call once from the module's luaopen function.
 */
template <class T>
void register_type(lua_State* L, const char* tname, const luaL_Reg* methods,
                   lua_CFunction tostring_fn = nullptr);

/** Push a new box holding `p` with metatable `tname`. */
template <class T>
void push_box(lua_State* L, std::shared_ptr<T> p, const char* tname);

/** The object in the box at `idx`; raises "bad argument" on a wrong type or a released box. */
template <class T>
const std::shared_ptr<T>& check_box(lua_State* L, int idx, const char* tname);

/** True when the value at `idx` is a box of type `tname` (released or not). */
bool is_box(lua_State* L, int idx, const char* tname);

// ---------------------------------------------------------------- values

/** Metatable name of the engine matrix userdata. */
inline constexpr const char* kMatrixType = "cod.Matrix";

/**
 * A matrix argument: either a cod.Matrix userdata or a table of rows
 * (array of arrays of numbers, all rows of one length). Raises with
 * "bad argument #idx to 'fname' (...)" naming the offending row/column.
 */
cod::Matrix check_matrix(lua_State* L, int idx);
/** Push `m` as a new cod.Matrix userdata. */
void push_matrix(lua_State* L, cod::Matrix m);

/** An array of numbers (Lua sequence); NaN is allowed unless `finite`. */
std::vector<double> check_number_array(lua_State* L, int idx, bool finite = false);
/** An array of strings. */
std::vector<std::string> check_string_array(lua_State* L, int idx);
/** Push a Lua array of numbers. */
void push_number_array(lua_State* L, const std::vector<double>& v);
/** Push a Lua array from an Eigen vector. */
void push_vector(lua_State* L, const cod::Vector& v);
/** Push a Lua array of strings. */
void push_string_array(lua_State* L, const std::vector<std::string>& v);
/** Push integer indices converted 0-based -> 1-based (negative values, e.g. the -1 label, are kept). */
void push_index_array(lua_State* L, const std::vector<int>& v);
/**
 * Cluster labels cross the border here and nowhere else (DESIGN rule 4): C++ ids are
 * 0, 1, ... and Lua ids 1, 2, ...; -1 (not in a cluster) is -1 on both sides.
 */
inline lua_Integer lua_label(int label) { return label < 0 ? -1 : static_cast<lua_Integer>(label) + 1; }
/** Push a Lua array of labels (C++ ids converted to Lua ids). */
void push_labels(lua_State* L, const std::vector<int>& labels);
/**
 * A Lua array of labels (ids 1, 2, ... or -1) converted to C++ ids; anything else raises
 * "bad argument #argn ... (label of item i must be a cluster id 1, 2, ... or -1 (none))".
 * A non-table raises naming `expected` ("labels or a clustering result").
 */
std::vector<int> check_labels(lua_State* L, int idx, int argn, const char* expected = "labels");
/** A Lua array of 1-based indices converted to 0-based, each checked to be in [1, n]. */
std::vector<int> check_index_array(lua_State* L, int idx, int n);

// ---------------------------------------------------------------- option tables

/**
 * A checked option table. Construct with the argument index (nil or none = no
 * options), the function name (for messages) and the valid keys; any other key
 * raises "bad option 'kq' to 'fname' (valid options: a, b, c)".
 * Getters raise "bad option 'key' to 'fname' (number expected, got string)".
 */
class Options {
public:
  Options(lua_State* L, int idx, const char* fname, std::initializer_list<const char*> valid);

  bool has(const char* key) const;
  double number(const char* key, double fallback) const;
  std::optional<double> number(const char* key) const;
  long long integer(const char* key, long long fallback) const;
  bool boolean(const char* key, bool fallback) const;
  std::string string(const char* key, const std::string& fallback) const;
  std::optional<std::string> string(const char* key) const;
  /** Push the raw value of `key` (nil when absent). */
  void push(const char* key) const;
  /** Raise "bad option 'key' to 'fname' (msg)". */
  [[noreturn]] void fail(const char* key, const std::string& msg) const;

private:
  lua_State* L_;
  int idx_;  // absolute index of the table, 0 when no table was given
  const char* fname_;
};

// ---------------------------------------------------------------- table building

/** t[key] = number, with the table on top of the stack. */
void set_field(lua_State* L, const char* key, double v);
void set_field(lua_State* L, const char* key, int v);
void set_field(lua_State* L, const char* key, long long v);
void set_field(lua_State* L, const char* key, std::size_t v);
void set_field(lua_State* L, const char* key, bool v);
void set_field(lua_State* L, const char* key, const std::string& v);
void set_field(lua_State* L, const char* key, const char* v);

/** Register a module's functions as a new table and leave it on the stack. */
/// Push an open descriptor as a Lua file (io library handle) opened with `mode`; the Lua file
/// owns it from then on (closed by file:close() or the collector). On failure the descriptor
/// is closed and nil, message, errno are pushed. Returns the number of values pushed.
int push_file(lua_State* L, int fd, const char* mode, const std::string& path);

inline int new_module(lua_State* L, const luaL_Reg* funcs) {
  lua_newtable(L);
  luaL_setfuncs(L, funcs, 0);
  return 1;
}

// ---------------------------------------------------------------- template implementations

template <class T>
int box_release(lua_State* L) {
  // __gc and __close may both run; reset is idempotent. The metamethods can be fetched with
  // getmetatable and called on any value, and reading another userdata (a file handle, a
  // box of another type) as a Box<T> corrupts memory (found under UBSan): only a value
  // whose metatable is this type's (upvalue 1) is released.
  bool same = false;
  if (lua_type(L, 1) == LUA_TUSERDATA && lua_getmetatable(L, 1)) {  // [mt]
    same = lua_rawequal(L, -1, lua_upvalueindex(1)) != 0;
    lua_pop(L, 1);
  }
  if (!same) {
    lua_getfield(L, lua_upvalueindex(1), "__name");
    return luaL_typeerror(L, 1, lua_tostring(L, -1));
  }
  auto* box = static_cast<Box<T>*>(lua_touserdata(L, 1));
  if (box) box->ptr.reset();
  return 0;
}

template <class T>
void register_type(lua_State* L, const char* tname, const luaL_Reg* methods, lua_CFunction tostring_fn) {
  luaL_newmetatable(L, tname);  // [mt]
  lua_newtable(L);              // [mt, methods]
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");  // [mt]
  lua_pushvalue(L, -1);                     // [mt, mt]
  lua_pushcclosure(L, &box_release<T>, 1);  // [mt, release]: knows its metatable
  lua_pushvalue(L, -1);                     // [mt, release, release]
  lua_setfield(L, -3, "__gc");
  lua_setfield(L, -2, "__close");  // [mt]
  if (tostring_fn) {
    lua_pushcfunction(L, tostring_fn);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pushstring(L, tname);
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);  // []
}

template <class T>
void push_box(lua_State* L, std::shared_ptr<T> p, const char* tname) {
  void* mem = lua_newuserdatauv(L, sizeof(Box<T>), 0);
  auto* box = new (mem) Box<T>{std::move(p)};
  (void)box;
  luaL_setmetatable(L, tname);
}

template <class T>
const std::shared_ptr<T>& check_box(lua_State* L, int idx, const char* tname) {
  auto* box = static_cast<Box<T>*>(luaL_checkudata(L, idx, tname));
  if (!box->ptr) {
    std::string msg = std::string(tname) + " has been released";
    luaL_argerror(L, idx, msg.c_str());
  }
  return box->ptr;
}

}  // namespace codlua
