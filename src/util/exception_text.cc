#include "util/exception_text.h"

namespace capsfusion {

std::string ExceptionText(std::exception_ptr ep) {
  std::string what = "internal error";
  try {
    if (ep) std::rethrow_exception(ep);
  } catch (const std::exception& e) {
    what += std::string(": ") + e.what();
  } catch (...) {
  }
  return what;
}

}  // namespace capsfusion
