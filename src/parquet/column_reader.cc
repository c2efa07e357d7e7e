#include "parquet/column_reader.h"

#include <cstring>

#include "parquet/bit_util.h"
#include "parquet/compression.h"
#include "parquet/json_text.h"

namespace capsfusion::parquet {

namespace {

// Sign-extends a big-endian two's-complement integer of n (1..16) bytes.
__int128 BigEndianSigned(const uint8_t* p, size_t n) {
  unsigned __int128 u = 0;
  for (size_t i = 0; i < n; ++i) u = (u << 8) | p[i];
  if (n < 16 && (p[0] & 0x80)) u |= ~static_cast<unsigned __int128>(0) << (8 * n);
  return static_cast<__int128>(u);
}

}  // namespace

Status ColumnReader::Corrupt(const std::string& what) const {
  return Status::Corruption("column " + col_.name + ": " + what);
}

void ColumnReader::Start(std::string chunk, int32_t codec, int64_t num_rows) {
  chunk_ = std::move(chunk);
  pos_ = 0;
  codec_ = codec;
  rows_left_ = num_rows;
  page_left_ = 0;
  have_dict_ = false;
  dict_json_.clear();
  dict_off_.clear();
}

Status ColumnReader::Next(std::string* json, bool* bad) {
  *bad = false;
  if (rows_left_ <= 0) return Corrupt("more rows asked for than the row group holds");
  while (page_left_ == 0) CF_RETURN_IF_ERROR(LoadPage());
  --page_left_;
  --rows_left_;
  if (col_.optional) {
    uint32_t level;
    if (!def_.Next(&level)) return Corrupt("definition levels end before the page's values");
    if (level == 0) {
      json->append("null");
      return Status::OK();
    }
    if (level != 1) return Corrupt("definition level " + std::to_string(level) + " in a flat column");
  }
  return DecodeValue(json, bad);
}

Status ColumnReader::LoadPage() {
  for (;;) {
    if (pos_ >= chunk_.size()) return Corrupt("the column chunk ends before all its rows");
    const auto* base = reinterpret_cast<const uint8_t*>(chunk_.data());
    PageHeader h;
    size_t hsize = 0;
    Status s = ParsePageHeader(base + pos_, chunk_.size() - pos_, &h, &hsize);
    if (!s.ok()) return Corrupt(s.message());
    pos_ += hsize;
    if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0 ||
        static_cast<size_t>(h.compressed_page_size) > chunk_.size() - pos_) {
      return Corrupt("page size " + std::to_string(h.compressed_page_size) + " past the end of the column chunk");
    }
    const uint8_t* body = base + pos_;
    const auto body_size = static_cast<size_t>(h.compressed_page_size);
    pos_ += body_size;
    const auto usize = static_cast<size_t>(h.uncompressed_page_size);

    if (h.type == kDictionaryPage) {
      if (!h.has_dictionary_page) return Corrupt("dictionary page without its header");
      if (have_dict_) return Corrupt("a second dictionary page");
      CF_RETURN_IF_ERROR(Decompress(codec_, body, body_size, usize, &page_).WithContext("column " + col_.name));
      CF_RETURN_IF_ERROR(LoadDictionary(h, reinterpret_cast<const uint8_t*>(page_.data()), page_.size()));
      continue;
    }
    if (h.type == kDataPage) {
      if (!h.has_data_page) return Corrupt("data page without its header");
      if (h.data_page.num_values < 0) return Corrupt("negative value count");
      if (h.data_page.num_values == 0) continue;
      CF_RETURN_IF_ERROR(Decompress(codec_, body, body_size, usize, &page_).WithContext("column " + col_.name));
      const auto* p = reinterpret_cast<const uint8_t*>(page_.data());
      size_t n = page_.size();
      if (col_.optional) {
        if (h.data_page.definition_level_encoding != kRle) {
          return Status::NotSupported("column " + col_.name + ": definition levels in " +
                                      EncodingName(h.data_page.definition_level_encoding));
        }
        if (n < 4) return Corrupt("page too short for its definition levels");
        uint32_t len = LoadU32(p);
        if (len > n - 4) return Corrupt("definition levels past the end of the page");
        def_.Reset(p + 4, len, 1);
        p += 4 + len;
        n -= 4 + len;
      }
      page_left_ = h.data_page.num_values;
      return StartValues(h.data_page.encoding, p, n);
    }
    if (h.type == kDataPageV2) {
      if (!h.has_data_page_v2) return Corrupt("v2 data page without its header");
      const DataPageHeaderV2& d = h.data_page_v2;
      if (d.num_values < 0 || d.definition_levels_byte_length < 0 || d.repetition_levels_byte_length < 0) {
        return Corrupt("negative sizes in a v2 page header");
      }
      if (d.num_values == 0) continue;
      const uint64_t levels = static_cast<uint64_t>(d.definition_levels_byte_length) +
                              static_cast<uint64_t>(d.repetition_levels_byte_length);
      if (levels > body_size || levels > usize) return Corrupt("v2 page levels past the end of the page");
      const uint8_t* def = body + d.repetition_levels_byte_length;
      if (col_.optional) def_.Reset(def, static_cast<size_t>(d.definition_levels_byte_length), 1);
      const uint8_t* values = body + levels;
      const size_t vsize = body_size - static_cast<size_t>(levels);
      const size_t vusize = usize - static_cast<size_t>(levels);
      const bool compressed = d.is_compressed && codec_ != kUncompressed;
      CF_RETURN_IF_ERROR(Decompress(compressed ? codec_ : kUncompressed, values, vsize, vusize, &page_)
                             .WithContext("column " + col_.name));
      page_left_ = d.num_values;
      return StartValues(d.encoding, reinterpret_cast<const uint8_t*>(page_.data()), page_.size());
    }
    // Index pages and unknown page types carry no rows.
  }
}

Status ColumnReader::LoadDictionary(const PageHeader& h, const uint8_t* p, size_t n) {
  if (h.dictionary_page.encoding != kPlain && h.dictionary_page.encoding != kPlainDictionary) {
    return Status::NotSupported("column " + col_.name + ": dictionary in " + EncodingName(h.dictionary_page.encoding));
  }
  const int32_t count = h.dictionary_page.num_values;
  if (count < 0) return Corrupt("negative dictionary size");
  // Every PLAIN value takes at least one byte (booleans have no dictionary).
  if (col_.physical_type == kBoolean || static_cast<size_t>(count) > n) {
    return Corrupt("dictionary of " + std::to_string(count) + " values in " + std::to_string(n) + " bytes");
  }
  dict_json_.clear();
  dict_off_.assign(1, 0);
  dict_off_.reserve(static_cast<size_t>(count) + 1);
  vp_ = p;
  vend_ = p + n;
  for (int32_t i = 0; i < count; ++i) {
    const uint8_t* v;
    size_t len;
    CF_RETURN_IF_ERROR(PlainBytes(&v, &len));
    if (!AppendRaw(v, len, &dict_json_)) {
      // Not UTF-8: an empty entry marks it bad.
    }
    if (dict_json_.size() > UINT32_MAX) return Status::OutOfRange("column " + col_.name + ": dictionary too large");
    dict_off_.push_back(static_cast<uint32_t>(dict_json_.size()));
  }
  have_dict_ = true;
  return Status::OK();
}

Status ColumnReader::StartValues(int32_t encoding, const uint8_t* p, size_t n) {
  encoding_ = encoding;
  vp_ = p;
  vend_ = p + n;
  bit_ = 0;
  const int32_t t = col_.physical_type;
  switch (encoding) {
    case kPlain:
      return Status::OK();
    case kPlainDictionary:
    case kRleDictionary: {
      if (!have_dict_) return Corrupt("dictionary-encoded page without a dictionary page");
      if (n < 1) return Corrupt("dictionary page without its bit width");
      int width = p[0];
      if (width > 32) return Corrupt("dictionary index bit width " + std::to_string(width));
      idx_.Reset(p + 1, n - 1, width);
      return Status::OK();
    }
    case kRle:
      if (t != kBoolean) break;
      if (n < 4) return Corrupt("RLE booleans without their length");
      if (LoadU32(p) > n - 4) return Corrupt("RLE booleans past the end of the page");
      idx_.Reset(p + 4, LoadU32(p), 1);
      return Status::OK();
    case kByteStreamSplit: {
      if (t != kFloat && t != kDouble && t != kInt32 && t != kInt64 && t != kFixedLenByteArray) break;
      const size_t width = t == kFloat || t == kInt32 ? 4 : t == kFixedLenByteArray ? static_cast<size_t>(col_.type_length) : 8;
      if (width == 0 || n % width != 0) return Corrupt("BYTE_STREAM_SPLIT data is not a whole number of values");
      bss_count_ = n / width;
      bss_width_ = width;
      bss_index_ = 0;
      return Status::OK();
    }
    case kDeltaBinaryPacked:
      if (t != kInt32 && t != kInt64) break;
      if (!delta_.Init(p, n)) return Corrupt(delta_.error());
      return Status::OK();
    case kDeltaLengthByteArray: {
      if (t != kByteArray) break;
      DeltaDecoder lengths;
      if (!lengths.Init(p, n) || !lengths.SkipToEnd()) return Corrupt(lengths.error());
      delta_.Init(p, n);
      vp_ = p + lengths.end();
      return Status::OK();
    }
    case kDeltaByteArray: {
      if (t != kByteArray && t != kFixedLenByteArray) break;
      DeltaDecoder prefixes;
      if (!prefixes.Init(p, n) || !prefixes.SkipToEnd()) return Corrupt(prefixes.error());
      prefix_.Init(p, n);
      const uint8_t* s = p + prefixes.end();
      const size_t sn = n - prefixes.end();
      DeltaDecoder suffixes;
      if (!suffixes.Init(s, sn) || !suffixes.SkipToEnd()) return Corrupt(suffixes.error());
      delta_.Init(s, sn);
      vp_ = s + suffixes.end();
      prev_.clear();
      return Status::OK();
    }
    default:
      break;
  }
  return Status::NotSupported("column " + col_.name + ": encoding " + EncodingName(encoding) + " for " +
                              PhysicalTypeName(t));
}

Status ColumnReader::PlainBytes(const uint8_t** p, size_t* n) {
  size_t width;
  switch (col_.physical_type) {
    case kInt32:
    case kFloat: width = 4; break;
    case kInt64:
    case kDouble: width = 8; break;
    case kFixedLenByteArray: width = static_cast<size_t>(col_.type_length); break;
    case kByteArray: {
      if (vend_ - vp_ < 4) return Corrupt("PLAIN values end early");
      width = LoadU32(vp_);
      vp_ += 4;
      break;
    }
    default: return Corrupt("PLAIN value of an unsupported type");
  }
  if (static_cast<size_t>(vend_ - vp_) < width) return Corrupt("PLAIN values end early");
  *p = vp_;
  *n = width;
  vp_ += width;
  return Status::OK();
}

bool ColumnReader::AppendRaw(const uint8_t* p, size_t n, std::string* json) {
  switch (col_.kind) {
    case ValueKind::kString:
      return AppendJsonStringChecked(std::string_view(reinterpret_cast<const char*>(p), n), json);
    case ValueKind::kInt32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      AppendJsonInt(v, json);
      return true;
    }
    case ValueKind::kUInt32: AppendJsonUInt(LoadU32(p), json); return true;
    case ValueKind::kInt64: {
      int64_t v;
      std::memcpy(&v, p, 8);
      AppendJsonInt(v, json);
      return true;
    }
    case ValueKind::kUInt64: {
      uint64_t v;
      std::memcpy(&v, p, 8);
      AppendJsonUInt(v, json);
      return true;
    }
    case ValueKind::kFloat: {
      float v;
      std::memcpy(&v, p, 4);
      AppendJsonFloat(v, json);
      return true;
    }
    case ValueKind::kDouble: {
      double v;
      std::memcpy(&v, p, 8);
      AppendJsonDouble(v, json);
      return true;
    }
    case ValueKind::kDecimal: {
      __int128 v;
      if (col_.physical_type == kInt32) {
        int32_t x;
        std::memcpy(&x, p, 4);
        v = x;
      } else if (col_.physical_type == kInt64) {
        int64_t x;
        std::memcpy(&x, p, 8);
        v = x;
      } else {
        if (n < 1 || n > 16) return false;
        v = BigEndianSigned(p, n);
      }
      AppendJsonDecimal(v, col_.scale, json);
      return true;
    }
    case ValueKind::kBool:
      json->append(p[0] ? "true" : "false");
      return true;
  }
  return false;
}

Status ColumnReader::DecodeValue(std::string* json, bool* bad) {
  switch (encoding_) {
    case kPlain: {
      if (col_.physical_type == kBoolean) {
        if (bit_ >= static_cast<uint64_t>(vend_ - vp_) * 8) return Corrupt("PLAIN booleans end early");
        json->append((vp_[bit_ >> 3] >> (bit_ & 7)) & 1 ? "true" : "false");
        ++bit_;
        return Status::OK();
      }
      const uint8_t* p;
      size_t n;
      CF_RETURN_IF_ERROR(PlainBytes(&p, &n));
      *bad = !AppendRaw(p, n, json);
      return Status::OK();
    }
    case kPlainDictionary:
    case kRleDictionary: {
      uint32_t i;
      if (!idx_.Next(&i)) return Corrupt("dictionary indices end early");
      if (i + 1 >= dict_off_.size()) return Corrupt("dictionary index " + std::to_string(i) + " out of range");
      if (dict_off_[i] == dict_off_[i + 1]) {
        *bad = true;
        return Status::OK();
      }
      json->append(dict_json_, dict_off_[i], dict_off_[i + 1] - dict_off_[i]);
      return Status::OK();
    }
    case kByteStreamSplit: {
      if (bss_index_ >= bss_count_) return Corrupt("BYTE_STREAM_SPLIT values end early");
      uint8_t raw[16];
      for (size_t k = 0; k < bss_width_; ++k) raw[k] = vp_[k * bss_count_ + bss_index_];
      ++bss_index_;
      *bad = !AppendRaw(raw, bss_width_, json);
      return Status::OK();
    }
    case kRle: {
      uint32_t b;
      if (!idx_.Next(&b)) return Corrupt("RLE booleans end early");
      json->append(b ? "true" : "false");
      return Status::OK();
    }
    case kDeltaBinaryPacked: {
      int64_t v;
      if (!delta_.Next(&v)) return Corrupt(delta_.error().empty() ? "DELTA values end early" : delta_.error());
      uint8_t raw[8];
      if (col_.physical_type == kInt32) {
        auto x = static_cast<int32_t>(v);
        std::memcpy(raw, &x, 4);
      } else {
        std::memcpy(raw, &v, 8);
      }
      *bad = !AppendRaw(raw, col_.physical_type == kInt32 ? 4 : 8, json);
      return Status::OK();
    }
    case kDeltaLengthByteArray: {
      int64_t len;
      if (!delta_.Next(&len)) return Corrupt("DELTA_LENGTH_BYTE_ARRAY lengths end early");
      if (len < 0 || static_cast<uint64_t>(len) > static_cast<uint64_t>(vend_ - vp_)) {
        return Corrupt("DELTA_LENGTH_BYTE_ARRAY value past the end of the page");
      }
      *bad = !AppendRaw(vp_, static_cast<size_t>(len), json);
      vp_ += len;
      return Status::OK();
    }
    case kDeltaByteArray: {
      int64_t prefix, suffix;
      if (!prefix_.Next(&prefix) || !delta_.Next(&suffix)) return Corrupt("DELTA_BYTE_ARRAY lengths end early");
      if (prefix < 0 || static_cast<uint64_t>(prefix) > prev_.size()) return Corrupt("DELTA_BYTE_ARRAY prefix too long");
      if (suffix < 0 || static_cast<uint64_t>(suffix) > static_cast<uint64_t>(vend_ - vp_)) {
        return Corrupt("DELTA_BYTE_ARRAY value past the end of the page");
      }
      prev_.resize(static_cast<size_t>(prefix));
      prev_.append(reinterpret_cast<const char*>(vp_), static_cast<size_t>(suffix));
      vp_ += suffix;
      if (col_.physical_type == kFixedLenByteArray && prev_.size() != static_cast<size_t>(col_.type_length)) {
        return Corrupt("DELTA_BYTE_ARRAY value of the wrong fixed length");
      }
      *bad = !AppendRaw(reinterpret_cast<const uint8_t*>(prev_.data()), prev_.size(), json);
      return Status::OK();
    }
  }
  return Corrupt("no decoder");
}

}  // namespace capsfusion::parquet
