// ExceptionText: what an HTTP server's exception handler reports for an
// exception that escaped a request handler.
#pragma once

#include <exception>
#include <string>

namespace capsfusion {

//! "internal error", followed by ": what()" when `ep` holds a std::exception.
std::string ExceptionText(std::exception_ptr ep);

}  // namespace capsfusion
