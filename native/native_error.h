// An error from the native core, with the stable code the JS layer exposes.
#pragma once
#include <stdexcept>
#include <string>

namespace pytrace {

struct NativeError : std::runtime_error {
  std::string code;
  int err;  // errno, 0 if none
  NativeError(std::string code_, const std::string& message, int errno_ = 0)
      : std::runtime_error(message), code(std::move(code_)), err(errno_) {}
};

}  // namespace pytrace
