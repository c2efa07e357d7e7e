// Base64 (RFC 4648, standard alphabet, padded) for image data URLs.
#pragma once

#include <string>
#include <cstdint>
#include <string_view>

namespace capsfusion::backend {

std::string Base64Encode(std::string_view bytes);

}  // namespace capsfusion::backend
