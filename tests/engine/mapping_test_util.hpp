// Helpers shared by the mapping tests (test_mapping.cpp, test_mapping_solvers.cpp).
#pragma once

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "cod/error.hpp"
#include "cod/mapping.hpp"
#include "test_util.hpp"

namespace mapping_test {

using cod::MappingMethod;
using cod::MappingOptions;
using cod::MappingStatus;
using nlohmann::json;

inline json load_golden() {
  std::ifstream in(std::string(COD_TEST_DATA_DIR) + "/golden/mapping.json");
  REQUIRE(in.good());
  return json::parse(in);
}

inline std::vector<double> vec(const json& j) { return j.get<std::vector<double>>(); }

inline MappingOptions with(MappingMethod m) {
  MappingOptions o;
  o.method = m;
  return o;
}

inline double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

using test_util::message_of;

}  // namespace mapping_test
