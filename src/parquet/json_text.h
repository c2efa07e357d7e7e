// Parquet values as JSON text: what a Record field holds for each column type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace capsfusion::parquet {

//! Appends `bytes` as a quoted JSON string; false (nothing appended) when
//! they are not valid UTF-8.
bool AppendJsonStringChecked(std::string_view bytes, std::string* out);
//! Appends an integer.
void AppendJsonInt(int64_t v, std::string* out);
void AppendJsonUInt(uint64_t v, std::string* out);
//! Appends the shortest text that reads back as the same double, always with
//! a '.' or an exponent (3.0, not 3) so that it stays a float; NaN and the
//! infinities, which JSON cannot hold, become null.
void AppendJsonDouble(double v, std::string* out);
//! The same for a float (shortest text for the float value: 0.1, not 0.10000000149).
void AppendJsonFloat(float v, std::string* out);
//! Appends a decimal `unscaled` * 10^-scale as a JSON number ("-12.345").
void AppendJsonDecimal(__int128 unscaled, int scale, std::string* out);

}  // namespace capsfusion::parquet
