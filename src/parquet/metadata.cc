// Parsing and writing FileMetaData and PageHeader with the compact protocol.
// A field whose wire type is not the one parquet.thrift gives it is skipped,
// as Thrift readers do; required fields that are missing are checked by the
// code that uses them.
#include "parquet/metadata.h"

#include "parquet/thrift_compact.h"

namespace capsfusion::parquet {

namespace {

using T = ThriftType;

bool IsInt(T t) { return t == T::kI32 || t == T::kI16 || t == T::kI64 || t == T::kByte; }
bool IsBool(T t) { return t == T::kTrue || t == T::kFalse; }

int32_t Int32(ThriftReader& r, T t) {
  if (t == T::kByte) return r.ReadByte();
  return r.ReadI32();
}

int64_t Int64(ThriftReader& r, T t) {
  if (t == T::kByte) return r.ReadByte();
  return r.ReadI64();
}

// Calls fn(id, type) for each field of the struct at the reader's position.
template <typename Fn>
void ForEachField(ThriftReader& r, Fn fn) {
  r.BeginStruct();
  int16_t id;
  T t;
  while (r.NextField(&id, &t)) {
    if (!fn(id, t)) r.Skip(t);
  }
  r.EndStruct();
}

// Calls fn(element_type) once per element of a list.
template <typename Fn>
void ForEachElement(ThriftReader& r, Fn fn) {
  T et;
  uint32_t n;
  if (!r.ReadListHeader(&et, &n)) return;
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    if (!fn(et)) {
      if (IsBool(et)) {
        r.ReadByte();
      } else {
        r.Skip(et);
      }
    }
  }
}

void ParseLogicalType(ThriftReader& r, LogicalType* lt) {
  ForEachField(r, [&](int16_t id, T t) {
    if (t != T::kStruct) return false;
    lt->kind = id;
    if (id == LogicalType::kDecimal) {
      ForEachField(r, [&](int16_t fid, T ft) {
        if (!IsInt(ft)) return false;
        if (fid == 1) lt->decimal_scale = Int32(r, ft);
        else if (fid == 2) lt->decimal_precision = Int32(r, ft);
        else return false;
        return true;
      });
      return true;
    }
    if (id == LogicalType::kInteger) {
      ForEachField(r, [&](int16_t fid, T ft) {
        if (fid == 1 && IsInt(ft)) lt->int_bit_width = static_cast<int8_t>(Int32(r, ft));
        else if (fid == 2 && IsBool(ft)) lt->int_signed = r.ReadBool(ft);
        else return false;
        return true;
      });
      return true;
    }
    return false;  // other members are skipped whole
  });
}

void ParseSchemaElement(ThriftReader& r, SchemaElement* e) {
  ForEachField(r, [&](int16_t id, T t) {
    switch (id) {
      case 1: if (!IsInt(t)) return false; e->type = Int32(r, t); return true;
      case 2: if (!IsInt(t)) return false; e->type_length = Int32(r, t); return true;
      case 3: if (!IsInt(t)) return false; e->repetition = Int32(r, t); return true;
      case 4: if (t != T::kBinary) return false; e->name = std::string(r.ReadBinary()); return true;
      case 5: if (!IsInt(t)) return false; e->num_children = Int32(r, t); return true;
      case 6: if (!IsInt(t)) return false; e->converted_type = Int32(r, t); return true;
      case 7: if (!IsInt(t)) return false; e->scale = Int32(r, t); return true;
      case 8: if (!IsInt(t)) return false; e->precision = Int32(r, t); return true;
      case 10: if (t != T::kStruct) return false; ParseLogicalType(r, &e->logical); return true;
      default: return false;
    }
  });
}

void ParseStatistics(ThriftReader& r, Statistics* s) {
  ForEachField(r, [&](int16_t id, T t) {
    if (id == 3 && IsInt(t)) {
      s->has_null_count = true;
      s->null_count = Int64(r, t);
    } else if (id == 5 && t == T::kBinary) {
      s->has_max = true;
      s->max_value = std::string(r.ReadBinary());
    } else if (id == 6 && t == T::kBinary) {
      s->has_min = true;
      s->min_value = std::string(r.ReadBinary());
    } else {
      return false;
    }
    return true;
  });
}

void ParseColumnMetaData(ThriftReader& r, ColumnMetaData* m) {
  ForEachField(r, [&](int16_t id, T t) {
    switch (id) {
      case 1: if (!IsInt(t)) return false; m->type = Int32(r, t); return true;
      case 2:
        if (t != T::kList) return false;
        ForEachElement(r, [&](T et) {
          if (!IsInt(et)) return false;
          m->encodings.push_back(Int32(r, et));
          return true;
        });
        return true;
      case 3:
        if (t != T::kList) return false;
        ForEachElement(r, [&](T et) {
          if (et != T::kBinary) return false;
          m->path_in_schema.emplace_back(r.ReadBinary());
          return true;
        });
        return true;
      case 4: if (!IsInt(t)) return false; m->codec = Int32(r, t); return true;
      case 5: if (!IsInt(t)) return false; m->num_values = Int64(r, t); return true;
      case 6: if (!IsInt(t)) return false; m->total_uncompressed_size = Int64(r, t); return true;
      case 7: if (!IsInt(t)) return false; m->total_compressed_size = Int64(r, t); return true;
      case 9: if (!IsInt(t)) return false; m->data_page_offset = Int64(r, t); return true;
      case 11:
        if (!IsInt(t)) return false;
        m->has_dictionary_page_offset = true;
        m->dictionary_page_offset = Int64(r, t);
        return true;
      case 12:
        if (t != T::kStruct) return false;
        m->has_statistics = true;
        ParseStatistics(r, &m->statistics);
        return true;
      default: return false;
    }
  });
}

void ParseColumnChunk(ThriftReader& r, ColumnChunk* c) {
  ForEachField(r, [&](int16_t id, T t) {
    if (id == 1 && t == T::kBinary) {
      c->file_path = std::string(r.ReadBinary());
    } else if (id == 2 && IsInt(t)) {
      c->file_offset = Int64(r, t);
    } else if (id == 3 && t == T::kStruct) {
      c->has_meta_data = true;
      ParseColumnMetaData(r, &c->meta_data);
    } else {
      return false;
    }
    return true;
  });
}

void ParseRowGroup(ThriftReader& r, RowGroup* g) {
  ForEachField(r, [&](int16_t id, T t) {
    if (id == 1 && t == T::kList) {
      ForEachElement(r, [&](T et) {
        if (et != T::kStruct) return false;
        g->columns.emplace_back();
        ParseColumnChunk(r, &g->columns.back());
        return true;
      });
    } else if (id == 2 && IsInt(t)) {
      g->total_byte_size = Int64(r, t);
    } else if (id == 3 && IsInt(t)) {
      g->num_rows = Int64(r, t);
    } else {
      return false;
    }
    return true;
  });
}

}  // namespace

Status ParseFileMetaData(const uint8_t* data, size_t size, FileMetaData* out) {
  *out = FileMetaData();
  ThriftReader r(data, size);
  ForEachField(r, [&](int16_t id, T t) {
    switch (id) {
      case 1: if (!IsInt(t)) return false; out->version = Int32(r, t); return true;
      case 2:
        if (t != T::kList) return false;
        ForEachElement(r, [&](T et) {
          if (et != T::kStruct) return false;
          out->schema.emplace_back();
          ParseSchemaElement(r, &out->schema.back());
          return true;
        });
        return true;
      case 3: if (!IsInt(t)) return false; out->num_rows = Int64(r, t); return true;
      case 4:
        if (t != T::kList) return false;
        ForEachElement(r, [&](T et) {
          if (et != T::kStruct) return false;
          out->row_groups.emplace_back();
          ParseRowGroup(r, &out->row_groups.back());
          return true;
        });
        return true;
      case 5:
        if (t != T::kList) return false;
        ForEachElement(r, [&](T et) {
          if (et != T::kStruct) return false;
          KeyValue kv;
          ForEachField(r, [&](int16_t fid, T ft) {
            if (ft != T::kBinary || (fid != 1 && fid != 2)) return false;
            (fid == 1 ? kv.key : kv.value) = std::string(r.ReadBinary());
            return true;
          });
          out->key_value_metadata.push_back(std::move(kv));
          return true;
        });
        return true;
      case 6: if (t != T::kBinary) return false; out->created_by = std::string(r.ReadBinary()); return true;
      case 8: out->encrypted = true; return false;
      default: return false;
    }
  });
  if (!r.ok()) return Status::Corruption("bad Parquet footer (Thrift): " + r.error());
  return Status::OK();
}

Status ParsePageHeader(const uint8_t* data, size_t size, PageHeader* out, size_t* header_size) {
  *out = PageHeader();
  ThriftReader r(data, size);
  ForEachField(r, [&](int16_t id, T t) {
    switch (id) {
      case 1: if (!IsInt(t)) return false; out->type = Int32(r, t); return true;
      case 2: if (!IsInt(t)) return false; out->uncompressed_page_size = Int32(r, t); return true;
      case 3: if (!IsInt(t)) return false; out->compressed_page_size = Int32(r, t); return true;
      case 5:
        if (t != T::kStruct) return false;
        out->has_data_page = true;
        ForEachField(r, [&](int16_t fid, T ft) {
          if (!IsInt(ft) || fid < 1 || fid > 4) return false;
          int32_t v = Int32(r, ft);
          DataPageHeader& d = out->data_page;
          (fid == 1 ? d.num_values : fid == 2 ? d.encoding : fid == 3 ? d.definition_level_encoding
                                                                      : d.repetition_level_encoding) = v;
          return true;
        });
        return true;
      case 7:
        if (t != T::kStruct) return false;
        out->has_dictionary_page = true;
        ForEachField(r, [&](int16_t fid, T ft) {
          if (!IsInt(ft) || fid < 1 || fid > 2) return false;
          int32_t v = Int32(r, ft);
          (fid == 1 ? out->dictionary_page.num_values : out->dictionary_page.encoding) = v;
          return true;
        });
        return true;
      case 8:
        if (t != T::kStruct) return false;
        out->has_data_page_v2 = true;
        ForEachField(r, [&](int16_t fid, T ft) {
          DataPageHeaderV2& d = out->data_page_v2;
          if (fid == 7 && IsBool(ft)) {
            d.is_compressed = r.ReadBool(ft);
            return true;
          }
          if (!IsInt(ft) || fid < 1 || fid > 6) return false;
          int32_t v = Int32(r, ft);
          int32_t* slots[] = {&d.num_values, &d.num_nulls, &d.num_rows, &d.encoding,
                              &d.definition_levels_byte_length, &d.repetition_levels_byte_length};
          *slots[fid - 1] = v;
          return true;
        });
        return true;
      default: return false;
    }
  });
  if (!r.ok()) return Status::Corruption("bad page header (Thrift): " + r.error());
  *header_size = r.position();
  return Status::OK();
}

namespace {

void WriteStatistics(ThriftWriter& w, int16_t id, const Statistics& s) {
  w.FieldStruct(id);
  w.BeginStruct();
  if (s.has_null_count) w.FieldI64(3, s.null_count);
  if (s.has_max) w.FieldBinary(5, s.max_value);
  if (s.has_min) w.FieldBinary(6, s.min_value);
  w.EndStruct();
}

void WriteLogicalType(ThriftWriter& w, const LogicalType& lt) {
  w.FieldStruct(10);
  w.BeginStruct();
  w.FieldStruct(lt.kind);  // StringType and the other empty members
  w.BeginStruct();
  w.EndStruct();
  w.EndStruct();
}

}  // namespace

void SerializeFileMetaData(const FileMetaData& m, std::string* out) {
  ThriftWriter w(out);
  w.BeginStruct();
  w.FieldI32(1, m.version);
  w.FieldList(2, T::kStruct, static_cast<uint32_t>(m.schema.size()));
  for (const SchemaElement& e : m.schema) {
    w.BeginStruct();
    if (e.type >= 0) w.FieldI32(1, e.type);
    if (e.repetition >= 0) w.FieldI32(3, e.repetition);
    w.FieldBinary(4, e.name);
    if (e.num_children > 0) w.FieldI32(5, e.num_children);
    if (e.converted_type >= 0) w.FieldI32(6, e.converted_type);
    if (e.logical.kind == LogicalType::kString) WriteLogicalType(w, e.logical);
    w.EndStruct();
  }
  w.FieldI64(3, m.num_rows);
  w.FieldList(4, T::kStruct, static_cast<uint32_t>(m.row_groups.size()));
  for (const RowGroup& g : m.row_groups) {
    w.BeginStruct();
    w.FieldList(1, T::kStruct, static_cast<uint32_t>(g.columns.size()));
    int64_t compressed = 0;
    for (const ColumnChunk& c : g.columns) {
      const ColumnMetaData& cm = c.meta_data;
      compressed += cm.total_compressed_size;
      w.BeginStruct();
      w.FieldI64(2, c.file_offset);
      w.FieldStruct(3);
      w.BeginStruct();
      w.FieldI32(1, cm.type);
      w.FieldList(2, T::kI32, static_cast<uint32_t>(cm.encodings.size()));
      for (int32_t e : cm.encodings) w.ElementI32(e);
      w.FieldList(3, T::kBinary, static_cast<uint32_t>(cm.path_in_schema.size()));
      for (const std::string& p : cm.path_in_schema) w.ElementBinary(p);
      w.FieldI32(4, cm.codec);
      w.FieldI64(5, cm.num_values);
      w.FieldI64(6, cm.total_uncompressed_size);
      w.FieldI64(7, cm.total_compressed_size);
      w.FieldI64(9, cm.data_page_offset);
      if (cm.has_dictionary_page_offset) w.FieldI64(11, cm.dictionary_page_offset);
      if (cm.has_statistics) WriteStatistics(w, 12, cm.statistics);
      w.EndStruct();
      w.EndStruct();
    }
    w.FieldI64(2, g.total_byte_size);
    w.FieldI64(3, g.num_rows);
    if (!g.columns.empty()) w.FieldI64(5, g.columns.front().meta_data.has_dictionary_page_offset
                                              ? g.columns.front().meta_data.dictionary_page_offset
                                              : g.columns.front().meta_data.data_page_offset);
    w.FieldI64(6, compressed);
    w.EndStruct();
  }
  if (!m.key_value_metadata.empty()) {
    w.FieldList(5, T::kStruct, static_cast<uint32_t>(m.key_value_metadata.size()));
    for (const KeyValue& kv : m.key_value_metadata) {
      w.BeginStruct();
      w.FieldBinary(1, kv.key);
      w.FieldBinary(2, kv.value);
      w.EndStruct();
    }
  }
  if (!m.created_by.empty()) w.FieldBinary(6, m.created_by);
  if (m.type_defined_column_orders > 0) {
    w.FieldList(7, T::kStruct, static_cast<uint32_t>(m.type_defined_column_orders));
    for (int32_t i = 0; i < m.type_defined_column_orders; ++i) {
      w.BeginStruct();  // ColumnOrder union: TYPE_ORDER = 1 (an empty struct)
      w.FieldStruct(1);
      w.BeginStruct();
      w.EndStruct();
      w.EndStruct();
    }
  }
  w.EndStruct();
}

void SerializePageHeader(const PageHeader& h, std::string* out) {
  ThriftWriter w(out);
  w.BeginStruct();
  w.FieldI32(1, h.type);
  w.FieldI32(2, h.uncompressed_page_size);
  w.FieldI32(3, h.compressed_page_size);
  if (h.has_data_page) {
    w.FieldStruct(5);
    w.BeginStruct();
    w.FieldI32(1, h.data_page.num_values);
    w.FieldI32(2, h.data_page.encoding);
    w.FieldI32(3, h.data_page.definition_level_encoding);
    w.FieldI32(4, h.data_page.repetition_level_encoding);
    if (h.statistics.has_null_count) WriteStatistics(w, 5, h.statistics);
    w.EndStruct();
  }
  if (h.has_dictionary_page) {
    w.FieldStruct(7);
    w.BeginStruct();
    w.FieldI32(1, h.dictionary_page.num_values);
    w.FieldI32(2, h.dictionary_page.encoding);
    w.EndStruct();
  }
  if (h.has_data_page_v2) {
    const DataPageHeaderV2& d = h.data_page_v2;
    w.FieldStruct(8);
    w.BeginStruct();
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, d.num_nulls);
    w.FieldI32(3, d.num_rows);
    w.FieldI32(4, d.encoding);
    w.FieldI32(5, d.definition_levels_byte_length);
    w.FieldI32(6, d.repetition_levels_byte_length);
    w.FieldBool(7, d.is_compressed);
    w.EndStruct();
  }
  w.EndStruct();
}

const char* CodecName(int32_t codec) {
  switch (codec) {
    case kUncompressed: return "UNCOMPRESSED";
    case kSnappy: return "SNAPPY";
    case kGzip: return "GZIP";
    case kLzo: return "LZO";
    case kBrotli: return "BROTLI";
    case kLz4: return "LZ4";
    case kZstd: return "ZSTD";
    case kLz4Raw: return "LZ4_RAW";
  }
  return "unknown codec";
}

const char* EncodingName(int32_t encoding) {
  switch (encoding) {
    case kPlain: return "PLAIN";
    case kPlainDictionary: return "PLAIN_DICTIONARY";
    case kRle: return "RLE";
    case kBitPacked: return "BIT_PACKED";
    case kDeltaBinaryPacked: return "DELTA_BINARY_PACKED";
    case kDeltaLengthByteArray: return "DELTA_LENGTH_BYTE_ARRAY";
    case kDeltaByteArray: return "DELTA_BYTE_ARRAY";
    case kRleDictionary: return "RLE_DICTIONARY";
    case kByteStreamSplit: return "BYTE_STREAM_SPLIT";
  }
  return "unknown encoding";
}

const char* PhysicalTypeName(int32_t type) {
  switch (type) {
    case kBoolean: return "BOOLEAN";
    case kInt32: return "INT32";
    case kInt64: return "INT64";
    case kInt96: return "INT96";
    case kFloat: return "FLOAT";
    case kDouble: return "DOUBLE";
    case kByteArray: return "BYTE_ARRAY";
    case kFixedLenByteArray: return "FIXED_LEN_BYTE_ARRAY";
  }
  return "unknown type";
}

}  // namespace capsfusion::parquet
