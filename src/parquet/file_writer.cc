#include "parquet/file_writer.h"

#include <cmath>
#include <cstring>
#include <unordered_map>

#include "parquet/bit_util.h"
#include "parquet/compression.h"
#include "parquet/rle_hybrid.h"

namespace capsfusion::parquet {

namespace {

// Min/max are left out of the footer for longer strings.
constexpr size_t kMaxStatBytes = 4096;

void PutU32(uint32_t v, std::string* out) {
  char b[4];
  std::memcpy(b, &v, 4);
  out->append(b, 4);
}

template <typename T>
std::string Bytes(T v) {
  std::string s(sizeof(T), '\0');
  std::memcpy(s.data(), &v, sizeof(T));
  return s;
}

// The dictionary of one chunk: distinct values in first-seen order and each
// present value's index.
struct Dictionary {
  std::vector<uint32_t> indices;
  std::vector<size_t> first;  // value index of each entry's first occurrence
  size_t plain_bytes = 0;
};

}  // namespace

const char* WriteTypeName(WriteType type) {
  switch (type) {
    case WriteType::kString: return "string";
    case WriteType::kInt64: return "int64";
    case WriteType::kDouble: return "double";
    case WriteType::kBool: return "bool";
  }
  return "?";
}

void ColumnData::Clear() {
  present.clear();
  ints.clear();
  doubles.clear();
  bools.clear();
  bytes.clear();
  ends.assign(1, 0);
}

size_t ColumnData::count() const {
  return ends.size() - 1 + ints.size() + doubles.size() + bools.size();
}

FileWriter::FileWriter(std::function<Status(std::string_view)> sink, FileWriterOptions options)
    : sink_(std::move(sink)), options_(std::move(options)) {}

void FileWriter::SetSchema(std::vector<std::string> names, std::vector<WriteType> types) {
  names_ = std::move(names);
  types_ = std::move(types);
}

Status FileWriter::Emit(std::string_view bytes) {
  offset_ += static_cast<int64_t>(bytes.size());
  return sink_(bytes);
}

Status FileWriter::WritePage(const PageHeader& header_in, const std::string& body, ColumnMetaData* meta) {
  CF_RETURN_IF_ERROR(Compress(options_.codec, options_.compression_level, reinterpret_cast<const uint8_t*>(body.data()),
                              body.size(), &compressed_));
  if (body.size() > INT32_MAX || compressed_.size() > INT32_MAX) return Status::OutOfRange("Parquet page over 2 GiB");
  PageHeader h = header_in;
  h.uncompressed_page_size = static_cast<int32_t>(body.size());
  h.compressed_page_size = static_cast<int32_t>(compressed_.size());
  std::string header;
  SerializePageHeader(h, &header);
  meta->total_uncompressed_size += static_cast<int64_t>(header.size() + body.size());
  meta->total_compressed_size += static_cast<int64_t>(header.size() + compressed_.size());
  CF_RETURN_IF_ERROR(Emit(header));
  return Emit(compressed_);
}

Status FileWriter::WriteChunk(size_t c, const ColumnData& d, int64_t rows, ColumnChunk* out) {
  const WriteType type = types_[c];
  const size_t n = d.count();
  ColumnMetaData& m = out->meta_data;
  out->has_meta_data = true;
  m.type = type == WriteType::kString ? kByteArray : type == WriteType::kInt64 ? kInt64
           : type == WriteType::kDouble ? kDouble : kBoolean;
  m.path_in_schema = {names_[c]};
  m.codec = options_.codec;
  m.num_values = rows;

  auto string_at = [&](size_t i) {
    return std::string_view(d.bytes.data() + d.ends[i], d.ends[i + 1] - d.ends[i]);
  };

  // Statistics over the present values.
  Statistics& st = m.statistics;
  m.has_statistics = true;
  st.has_null_count = true;
  st.null_count = rows - static_cast<int64_t>(n);
  if (type == WriteType::kString && n > 0) {
    std::string_view lo = string_at(0), hi = lo;
    for (size_t i = 1; i < n; ++i) {
      std::string_view s = string_at(i);
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    if (hi.size() <= kMaxStatBytes && lo.size() <= kMaxStatBytes) {
      st.has_min = st.has_max = true;
      st.min_value = std::string(lo);
      st.max_value = std::string(hi);
    }
  } else if (type == WriteType::kInt64 && n > 0) {
    int64_t lo = d.ints[0], hi = lo;
    for (int64_t v : d.ints) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    st.has_min = st.has_max = true;
    st.min_value = Bytes(lo);
    st.max_value = Bytes(hi);
  } else if (type == WriteType::kDouble) {
    bool any = false;
    double lo = 0, hi = 0;
    for (double v : d.doubles) {
      if (std::isnan(v)) continue;
      if (!any || v < lo) lo = v;
      if (!any || v > hi) hi = v;
      any = true;
    }
    if (any) {
      // Zero bounds are written as -0.0 (min) and +0.0 (max), as the format asks.
      if (lo == 0) lo = -0.0;
      if (hi == 0) hi = 0.0;
      st.has_min = st.has_max = true;
      st.min_value = Bytes(lo);
      st.max_value = Bytes(hi);
    }
  } else if (type == WriteType::kBool && n > 0) {
    bool lo = true, hi = false;
    for (uint8_t b : d.bools) {
      lo = lo && b;
      hi = hi || b;
    }
    st.has_min = st.has_max = true;
    st.min_value = std::string(1, lo ? '\1' : '\0');
    st.max_value = std::string(1, hi ? '\1' : '\0');
  }

  // PLAIN size, and a dictionary when it is smaller.
  size_t plain_bytes = type == WriteType::kString ? 4 * n + d.bytes.size() : type == WriteType::kBool ? (n + 7) / 8 : 8 * n;
  Dictionary dict;
  bool use_dict = false;
  if (options_.dictionary && type != WriteType::kBool && n > 0) {
    dict.indices.reserve(n);
    bool ok = true;
    if (type == WriteType::kString) {
      std::unordered_map<std::string_view, uint32_t> seen;
      for (size_t i = 0; i < n && ok; ++i) {
        auto [it, fresh] = seen.emplace(string_at(i), static_cast<uint32_t>(dict.first.size()));
        if (fresh) {
          dict.first.push_back(i);
          dict.plain_bytes += 4 + it->first.size();
          ok = dict.plain_bytes <= options_.dictionary_bytes;
        }
        dict.indices.push_back(it->second);
      }
    } else {
      std::unordered_map<uint64_t, uint32_t> seen;
      for (size_t i = 0; i < n && ok; ++i) {
        uint64_t bits;
        if (type == WriteType::kInt64) {
          bits = static_cast<uint64_t>(d.ints[i]);
        } else {
          std::memcpy(&bits, &d.doubles[i], 8);
        }
        auto [it, fresh] = seen.emplace(bits, static_cast<uint32_t>(dict.first.size()));
        if (fresh) {
          dict.first.push_back(i);
          dict.plain_bytes += 8;
          ok = dict.plain_bytes <= options_.dictionary_bytes;
        }
        dict.indices.push_back(it->second);
      }
    }
    if (ok) {
      const int width = std::max(1, BitWidth(dict.first.size() - 1));
      const size_t dict_total = dict.plain_bytes + (n * static_cast<size_t>(width) + 7) / 8 + 16;
      use_dict = dict_total < plain_bytes;
    }
  }
  const int width = use_dict ? std::max(1, BitWidth(dict.first.size() - 1)) : 0;

  auto append_plain = [&](size_t i, std::string* body) {
    switch (type) {
      case WriteType::kString: {
        std::string_view s = string_at(i);
        PutU32(static_cast<uint32_t>(s.size()), body);
        body->append(s.data(), s.size());
        break;
      }
      case WriteType::kInt64: body->append(reinterpret_cast<const char*>(&d.ints[i]), 8); break;
      case WriteType::kDouble: body->append(reinterpret_cast<const char*>(&d.doubles[i]), 8); break;
      case WriteType::kBool: break;  // bit-packed by the caller
    }
  };

  const int64_t chunk_start = offset_;
  std::string body;
  if (use_dict) {
    m.has_dictionary_page_offset = true;
    m.dictionary_page_offset = offset_;
    body.reserve(dict.plain_bytes);
    for (size_t first : dict.first) append_plain(first, &body);
    PageHeader h;
    h.type = kDictionaryPage;
    h.has_dictionary_page = true;
    h.dictionary_page.num_values = static_cast<int32_t>(dict.first.size());
    h.dictionary_page.encoding = kPlain;
    CF_RETURN_IF_ERROR(WritePage(h, body, &m));
  }
  m.data_page_offset = offset_;
  m.encodings = use_dict ? std::vector<int32_t>{kPlain, kRle, kRleDictionary} : std::vector<int32_t>{kPlain, kRle};

  // Data pages of about page_bytes of values each.
  std::vector<uint32_t> levels;
  size_t row = 0, value = 0;
  const auto total_rows = static_cast<size_t>(rows);
  while (row < total_rows) {
    const size_t r0 = row, v0 = value;
    size_t bytes = 0;
    while (row < total_rows && (row == r0 || bytes < options_.page_bytes)) {
      if (d.present[row]) {
        if (use_dict) {
          bytes += 2;
        } else if (type == WriteType::kString) {
          bytes += 4 + (d.ends[value + 1] - d.ends[value]);
        } else {
          bytes += type == WriteType::kBool ? 1 : 8;
        }
        ++value;
      }
      ++row;
    }
    body.clear();
    levels.assign(d.present.begin() + static_cast<std::ptrdiff_t>(r0), d.present.begin() + static_cast<std::ptrdiff_t>(row));
    std::string rle;
    RleEncode(levels.data(), levels.size(), 1, &rle);
    PutU32(static_cast<uint32_t>(rle.size()), &body);
    body += rle;
    if (use_dict) {
      body.push_back(static_cast<char>(width));
      RleEncode(dict.indices.data() + v0, value - v0, width, &body);
    } else if (type == WriteType::kBool) {
      uint8_t acc = 0;
      int bits = 0;
      for (size_t i = v0; i < value; ++i) {
        acc |= static_cast<uint8_t>((d.bools[i] ? 1 : 0) << bits);
        if (++bits == 8) {
          body.push_back(static_cast<char>(acc));
          acc = 0;
          bits = 0;
        }
      }
      if (bits) body.push_back(static_cast<char>(acc));
    } else {
      for (size_t i = v0; i < value; ++i) append_plain(i, &body);
    }
    PageHeader h;
    h.type = kDataPage;
    h.has_data_page = true;
    h.data_page.num_values = static_cast<int32_t>(row - r0);
    h.data_page.encoding = use_dict ? kRleDictionary : kPlain;
    CF_RETURN_IF_ERROR(WritePage(h, body, &m));
  }
  out->file_offset = chunk_start;
  return Status::OK();
}

Status FileWriter::WriteRowGroup(const std::vector<ColumnData>& columns, int64_t rows) {
  if (!started_) {
    started_ = true;
    CF_RETURN_IF_ERROR(Emit("PAR1"));
  }
  if (rows == 0) return Status::OK();
  if (columns.size() != types_.size()) return Status::Internal("row group with the wrong number of columns");
  RowGroup g;
  g.num_rows = rows;
  g.columns.resize(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].present.size() != static_cast<size_t>(rows)) return Status::Internal("column with the wrong row count");
    CF_RETURN_IF_ERROR(WriteChunk(c, columns[c], rows, &g.columns[c]));
    g.total_byte_size += g.columns[c].meta_data.total_uncompressed_size;
  }
  meta_.num_rows += rows;
  meta_.row_groups.push_back(std::move(g));
  return Status::OK();
}

Status FileWriter::Finish() {
  if (!started_) {
    started_ = true;
    CF_RETURN_IF_ERROR(Emit("PAR1"));
  }
  meta_.version = 1;
  meta_.created_by = options_.created_by;
  meta_.key_value_metadata = options_.key_value_metadata;
  meta_.schema.clear();
  SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(names_.size());
  meta_.schema.push_back(root);
  for (size_t c = 0; c < names_.size(); ++c) {
    SchemaElement e;
    e.name = names_[c];
    e.repetition = kOptional;
    switch (types_[c]) {
      case WriteType::kString:
        e.type = kByteArray;
        e.converted_type = kUtf8;
        e.logical.kind = LogicalType::kString;
        break;
      case WriteType::kInt64: e.type = kInt64; break;
      case WriteType::kDouble: e.type = kDouble; break;
      case WriteType::kBool: e.type = kBoolean; break;
    }
    meta_.schema.push_back(std::move(e));
  }
  meta_.type_defined_column_orders = static_cast<int32_t>(names_.size());
  std::string footer;
  SerializeFileMetaData(meta_, &footer);
  PutU32(static_cast<uint32_t>(footer.size()), &footer);
  footer += "PAR1";
  return Emit(footer);
}

}  // namespace capsfusion::parquet
