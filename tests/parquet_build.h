// Builds small Parquet files by hand, page by page, for encodings and layouts
// the writer does not produce (DELTA_BYTE_ARRAY, v2 pages, REQUIRED columns,
// nested groups) and for damaged files.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "parquet/delta_decoder.h"
#include "parquet/metadata.h"
#include "parquet/rle_hybrid.h"

namespace capsfusion::testing {

struct HandColumn {
  std::string name;
  int32_t type = parquet::kByteArray;
  int32_t repetition = parquet::kOptional;
  int32_t converted_type = parquet::kUtf8;
  std::vector<std::string> pages;  //!< each a page header plus its body
};

inline void PutLE32(uint32_t v, std::string* out) {
  char b[4];
  std::memcpy(b, &v, 4);
  out->append(b, 4);
}

//! A v1 data page (uncompressed): `levels` are definition levels (empty for REQUIRED).
inline std::string PageV1(int32_t num_values, int32_t encoding, const std::vector<uint32_t>& levels,
                          const std::string& values) {
  std::string body;
  if (!levels.empty()) {
    std::string rle;
    parquet::RleEncode(levels.data(), levels.size(), 1, &rle);
    PutLE32(static_cast<uint32_t>(rle.size()), &body);
    body += rle;
  }
  body += values;
  parquet::PageHeader h;
  h.type = parquet::kDataPage;
  h.uncompressed_page_size = h.compressed_page_size = static_cast<int32_t>(body.size());
  h.has_data_page = true;
  h.data_page.num_values = num_values;
  h.data_page.encoding = encoding;
  std::string page;
  parquet::SerializePageHeader(h, &page);
  return page + body;
}

//! A v2 data page (uncompressed values).
inline std::string PageV2(int32_t num_values, int32_t encoding, const std::vector<uint32_t>& levels,
                          const std::string& values) {
  std::string def;
  int32_t nulls = 0;
  if (!levels.empty()) parquet::RleEncode(levels.data(), levels.size(), 1, &def);
  for (uint32_t l : levels) nulls += l == 0;
  parquet::PageHeader h;
  h.type = parquet::kDataPageV2;
  h.uncompressed_page_size = h.compressed_page_size = static_cast<int32_t>(def.size() + values.size());
  h.has_data_page_v2 = true;
  h.data_page_v2.num_values = num_values;
  h.data_page_v2.num_nulls = nulls;
  h.data_page_v2.num_rows = num_values;
  h.data_page_v2.encoding = encoding;
  h.data_page_v2.definition_levels_byte_length = static_cast<int32_t>(def.size());
  h.data_page_v2.is_compressed = false;
  std::string page;
  parquet::SerializePageHeader(h, &page);
  return page + def + values;
}

//! DELTA_LENGTH_BYTE_ARRAY values.
inline std::string DeltaLengthValues(const std::vector<std::string>& v) {
  std::vector<int64_t> lengths;
  std::string data;
  for (const std::string& s : v) {
    lengths.push_back(static_cast<int64_t>(s.size()));
    data += s;
  }
  std::string out;
  parquet::DeltaEncode(lengths.data(), lengths.size(), &out);
  return out + data;
}

//! DELTA_BYTE_ARRAY values (prefix lengths shared with the previous value).
inline std::string DeltaByteArrayValues(const std::vector<std::string>& v) {
  std::vector<int64_t> prefixes;
  std::vector<std::string> suffixes;
  std::string prev;
  for (const std::string& s : v) {
    size_t p = 0;
    while (p < s.size() && p < prev.size() && s[p] == prev[p]) ++p;
    prefixes.push_back(static_cast<int64_t>(p));
    suffixes.push_back(s.substr(p));
    prev = s;
  }
  std::string out;
  parquet::DeltaEncode(prefixes.data(), prefixes.size(), &out);
  return out + DeltaLengthValues(suffixes);
}

//! PLAIN BYTE_ARRAY values.
inline std::string PlainStrings(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    PutLE32(static_cast<uint32_t>(s.size()), &out);
    out += s;
  }
  return out;
}

//! A whole file: one row group of `rows` rows with these columns, uncompressed.
//! `extra_schema` is one more top-level field (e.g. a nested group and its
//! children) after the flat columns, with `extra_chunks` for its leaves.
inline std::string BuildParquet(const std::vector<HandColumn>& cols, int64_t rows,
                                const std::vector<parquet::SchemaElement>& extra_schema = {},
                                const std::vector<HandColumn>& extra_chunks = {}) {
  std::string file = "PAR1";
  parquet::FileMetaData meta;
  parquet::SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(cols.size());
  if (!extra_schema.empty()) ++root.num_children;
  meta.schema.push_back(root);
  parquet::RowGroup g;
  g.num_rows = rows;
  auto add_chunk = [&](const HandColumn& c) {
    parquet::ColumnChunk chunk;
    chunk.has_meta_data = true;
    chunk.file_offset = static_cast<int64_t>(file.size());
    auto& m = chunk.meta_data;
    m.type = c.type;
    m.encodings = {parquet::kPlain, parquet::kRle};
    m.path_in_schema = {c.name};
    m.codec = parquet::kUncompressed;
    m.num_values = rows;
    m.data_page_offset = static_cast<int64_t>(file.size());
    for (const std::string& p : c.pages) file += p;
    m.total_compressed_size = m.total_uncompressed_size = static_cast<int64_t>(file.size()) - m.data_page_offset;
    g.columns.push_back(chunk);
  };
  for (const HandColumn& c : cols) {
    parquet::SchemaElement e;
    e.name = c.name;
    e.type = c.type;
    e.repetition = c.repetition;
    e.converted_type = c.converted_type;
    meta.schema.push_back(e);
    add_chunk(c);
  }
  for (const auto& e : extra_schema) meta.schema.push_back(e);
  for (const HandColumn& c : extra_chunks) add_chunk(c);
  meta.num_rows = rows;
  meta.row_groups.push_back(g);
  std::string footer;
  parquet::SerializeFileMetaData(meta, &footer);
  file += footer;
  PutLE32(static_cast<uint32_t>(footer.size()), &file);
  return file + "PAR1";
}

}  // namespace capsfusion::testing
