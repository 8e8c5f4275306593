// cod.core.matrix: the engine matrix as a Lua userdata (cod.Matrix).
// Big matrices stay in C++; Lua sees shape, element access and conversion to tables.

#include <limits>
#include <string>

#include "modules.hpp"
#include "support.hpp"

namespace {

using codlua::check_box;
using codlua::kMatrixType;

const cod::Matrix& self(lua_State* L) { return *check_box<cod::Matrix>(L, 1, kMatrixType); }

// Checked 1-based (i, j) at stack positions 2 and 3.
std::pair<Eigen::Index, Eigen::Index> check_ij(lua_State* L, const cod::Matrix& m) {
  const lua_Integer i = luaL_checkinteger(L, 2);
  const lua_Integer j = luaL_checkinteger(L, 3);
  if (i < 1 || i > m.rows()) luaL_argerror(L, 2, ("row out of range [1, " + std::to_string(m.rows()) + "]").c_str());
  if (j < 1 || j > m.cols()) luaL_argerror(L, 3, ("column out of range [1, " + std::to_string(m.cols()) + "]").c_str());
  return {i - 1, j - 1};
}

int m_new(lua_State* L) {
  return codlua::guarded(L, [&] {
    codlua::push_matrix(L, codlua::check_matrix(L, 1));
    return 1;
  });
}

int m_zeros(lua_State* L) {
  const lua_Integer r = luaL_checkinteger(L, 1);
  const lua_Integer c = luaL_checkinteger(L, 2);
  luaL_argcheck(L, r >= 0, 1, "rows must be >= 0");
  luaL_argcheck(L, c >= 0, 2, "columns must be >= 0");
  return codlua::guarded(L, [&] {
    codlua::push_matrix(L, cod::Matrix::Zero(r, c));
    return 1;
  });
}

int m_rows(lua_State* L) {
  lua_pushinteger(L, self(L).rows());
  return 1;
}
int m_cols(lua_State* L) {
  lua_pushinteger(L, self(L).cols());
  return 1;
}
int m_get(lua_State* L) {
  const auto& m = self(L);
  auto [i, j] = check_ij(L, m);
  lua_pushnumber(L, m(i, j));
  return 1;
}
int m_set(lua_State* L) {
  auto& m = *check_box<cod::Matrix>(L, 1, kMatrixType);
  auto [i, j] = check_ij(L, m);
  m(i, j) = luaL_checknumber(L, 4);
  return 0;
}
int m_row(lua_State* L) {
  const auto& m = self(L);
  const lua_Integer i = luaL_checkinteger(L, 2);
  luaL_argcheck(L, i >= 1 && i <= m.rows(), 2, "row out of range");
  return codlua::guarded(L, [&] {
    codlua::push_vector(L, m.row(i - 1).transpose());
    return 1;
  });
}
int m_col(lua_State* L) {
  const auto& m = self(L);
  const lua_Integer j = luaL_checkinteger(L, 2);
  luaL_argcheck(L, j >= 1 && j <= m.cols(), 2, "column out of range");
  return codlua::guarded(L, [&] {
    codlua::push_vector(L, m.col(j - 1));
    return 1;
  });
}
int m_totable(lua_State* L) {
  const auto& m = self(L);
  return codlua::guarded(L, [&] {
    lua_createtable(L, static_cast<int>(m.rows()), 0);  // [rows]
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      codlua::push_vector(L, m.row(i).transpose());  // [rows, row]
      lua_rawseti(L, -2, i + 1);
    }
    return 1;
  });
}
// m:select_rows(rows) -> new matrix of the given 1-based rows (repeats allowed: bootstrap)
int m_select_rows(lua_State* L) {
  const auto& m = self(L);
  const auto rows = codlua::check_index_array(L, 2, static_cast<int>(m.rows()));
  return codlua::guarded(L, [&] {
    cod::Matrix out(static_cast<Eigen::Index>(rows.size()), m.cols());
    for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Eigen::Index>(i)) = m.row(rows[i]);
    codlua::push_matrix(L, std::move(out));
    return 1;
  });
}

// m:select_cols(cols) -> new matrix of the given 1-based columns
int m_select_cols(lua_State* L) {
  const auto& m = self(L);
  const auto cols = codlua::check_index_array(L, 2, static_cast<int>(m.cols()));
  return codlua::guarded(L, [&] {
    cod::Matrix out(m.rows(), static_cast<Eigen::Index>(cols.size()));
    for (std::size_t j = 0; j < cols.size(); ++j) out.col(static_cast<Eigen::Index>(j)) = m.col(cols[j]);
    codlua::push_matrix(L, std::move(out));
    return 1;
  });
}

// m:col_means([rows]) -> array of column means over all rows or the given 1-based rows
int m_col_means(lua_State* L) {
  const auto& m = self(L);
  std::vector<int> rows;
  const bool subset = !lua_isnoneornil(L, 2);
  if (subset) rows = codlua::check_index_array(L, 2, static_cast<int>(m.rows()));
  return codlua::guarded(L, [&] {
    cod::Vector sum = cod::Vector::Zero(m.cols());
    if (subset) {
      for (int r : rows) sum += m.row(r).transpose();
    } else {
      sum = m.colwise().sum().transpose();
    }
    const double n = subset ? static_cast<double>(rows.size()) : static_cast<double>(m.rows());
    if (n == 0) sum.setConstant(std::numeric_limits<double>::quiet_NaN());
    else sum /= n;
    codlua::push_vector(L, sum);
    return 1;
  });
}

int m_tostring(lua_State* L) {
  auto* box = static_cast<codlua::Box<cod::Matrix>*>(luaL_checkudata(L, 1, kMatrixType));
  if (!box->ptr)
    lua_pushstring(L, "cod.Matrix (released)");
  else
    lua_pushfstring(L, "cod.Matrix(%d x %d)", static_cast<int>(box->ptr->rows()), static_cast<int>(box->ptr->cols()));
  return 1;
}

const luaL_Reg kMethods[] = {{"rows", m_rows}, {"cols", m_cols}, {"get", m_get},         {"set", m_set},
                             {"row", m_row},   {"col", m_col},   {"totable", m_totable}, {"select_rows", m_select_rows},
                             {"select_cols", m_select_cols}, {"col_means", m_col_means}, {nullptr, nullptr}};
const luaL_Reg kFunctions[] = {{"new", m_new}, {"zeros", m_zeros}, {nullptr, nullptr}};

int luaopen_cod_core_matrix(lua_State* L) {
  codlua::register_type<cod::Matrix>(L, kMatrixType, kMethods, m_tostring);
  return codlua::new_module(L, kFunctions);
}

codlua::ModuleRegistration reg_matrix("cod.core.matrix", luaopen_cod_core_matrix);

}  // namespace
