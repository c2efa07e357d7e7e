// Page compression codecs: UNCOMPRESSED, SNAPPY, GZIP, ZSTD and LZ4_RAW.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "capsfusion/status.h"

namespace capsfusion::parquet {

//! Decompresses `size` bytes of `codec` data into exactly `expected` bytes
//! (the page header's uncompressed size) in *out. Before allocating, the
//! claimed size is checked against the most that codec can expand `size`
//! bytes to, so a hostile header cannot ask for a giant buffer.
Status Decompress(int32_t codec, const uint8_t* data, size_t size, size_t expected, std::string* out);

//! Compresses `size` bytes with `codec` (UNCOMPRESSED, SNAPPY, GZIP, ZSTD or
//! LZ4_RAW) into *out (replacing its contents). `level` is used by ZSTD and GZIP.
Status Compress(int32_t codec, int level, const uint8_t* data, size_t size, std::string* out);

}  // namespace capsfusion::parquet
