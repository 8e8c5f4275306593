// Helpers shared by the engine tests: the message a call fails with.
#pragma once

#include <exception>
#include <string>

#include "cod/error.hpp"

namespace test_util {

/** What `f()` throws as cod::Error, or "(no error)". */
template <class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const cod::Error& e) {
    return e.what();
  }
  return "(no error)";
}

/** What `f()` throws as cod::InputError, "not an InputError: ..." for any other exception,
 *  or "no error". */
template <class F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const cod::InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not an InputError: ") + e.what();
  }
  return "no error";
}

}  // namespace test_util
