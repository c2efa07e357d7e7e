#include "parquet/schema.h"

namespace capsfusion::parquet {

namespace {

// Fills kind/scale for a supported leaf, or sets `unsupported`.
void Classify(const SchemaElement& e, ColumnDescriptor* c) {
  const LogicalType& lt = e.logical;
  const bool decimal = lt.kind == LogicalType::kDecimal || e.converted_type == kDecimal;
  const int scale = lt.kind == LogicalType::kDecimal ? lt.decimal_scale : e.scale;
  const bool is_unsigned = (lt.kind == LogicalType::kInteger && !lt.int_signed) ||
                           (e.converted_type >= kUint8 && e.converted_type <= kUint64);
  if (decimal && (scale < 0 || scale > 38)) {
    c->unsupported = "DECIMAL with scale " + std::to_string(scale);
    return;
  }
  switch (e.type) {
    case kBoolean: c->kind = ValueKind::kBool; return;
    case kInt32: c->kind = decimal ? ValueKind::kDecimal : is_unsigned ? ValueKind::kUInt32 : ValueKind::kInt32; break;
    case kInt64: c->kind = decimal ? ValueKind::kDecimal : is_unsigned ? ValueKind::kUInt64 : ValueKind::kInt64; break;
    case kFloat: c->kind = ValueKind::kFloat; return;
    case kDouble: c->kind = ValueKind::kDouble; return;
    case kByteArray:
      if (decimal) {
        c->unsupported = "DECIMAL stored as BYTE_ARRAY";
        return;
      }
      c->kind = ValueKind::kString;
      return;
    case kFixedLenByteArray:
      if (decimal && e.type_length >= 1 && e.type_length <= 16) {
        c->kind = ValueKind::kDecimal;
        c->type_length = e.type_length;
        break;
      }
      c->unsupported = "FIXED_LEN_BYTE_ARRAY that is not a DECIMAL of up to 16 bytes";
      return;
    case kInt96:
      c->unsupported = "INT96 (legacy timestamps)";
      return;
    default:
      c->unsupported = "physical type " + std::to_string(e.type);
      return;
  }
  if (c->kind == ValueKind::kDecimal) c->scale = scale;
}

}  // namespace

StatusOr<Schema> BuildSchema(const FileMetaData& meta) {
  const auto& els = meta.schema;
  if (els.empty()) return Status::Corruption("the schema is empty");
  if (els[0].num_children < 0) return Status::Corruption("bad schema root");
  Schema s;
  size_t i = 1;
  for (int32_t child = 0; child < els[0].num_children; ++child) {
    if (i >= els.size()) return Status::Corruption("schema has fewer elements than its root says");
    const SchemaElement& e = els[i];
    ColumnDescriptor c;
    c.name = e.name;
    c.physical_type = e.type;
    c.optional = e.repetition == kOptional;
    if (e.num_children > 0 || e.type < 0) {
      // A group: count the leaves below it so the chunk indices stay right.
      c.unsupported = "a nested group (struct, list or map)";
      size_t pending = 1;
      while (pending > 0) {
        if (i >= els.size()) return Status::Corruption("schema has fewer elements than its groups say");
        const SchemaElement& g = els[i++];
        --pending;
        if (g.num_children < 0) return Status::Corruption("negative child count in the schema");
        if (g.num_children > 0) {
          if (static_cast<size_t>(g.num_children) > els.size()) return Status::Corruption("schema child count too large");
          pending += static_cast<size_t>(g.num_children);
        } else if (g.type >= 0) {
          ++s.num_leaves;
        }
      }
      s.columns.push_back(std::move(c));
      continue;
    }
    ++i;
    c.leaf = s.num_leaves++;
    if (e.repetition == kRepeated) {
      c.unsupported = "a repeated field";
    } else {
      Classify(e, &c);
    }
    s.columns.push_back(std::move(c));
  }
  if (i != els.size()) return Status::Corruption("schema has more elements than its root says");
  return s;
}

}  // namespace capsfusion::parquet
