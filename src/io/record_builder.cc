#include "io/record_builder.h"

#include "io/caption_text.h"
#include "io/stable_id.h"

namespace capsfusion::io {

RecordBuilder::RecordBuilder(const ReaderOptions& options) : options_(options) {}

bool RecordBuilder::FromJson(const std::vector<JsonMember>& members, Record* record, std::string* reason) {
  std::vector<Field>& fields = record->fields;
  size_t count = 0;
  types_.clear();
  bool escapes = false;
  for (const JsonMember& m : members) {
    std::string_view name = m.key;
    if (m.key_escaped) {
      key_.clear();
      DecodeJsonString(m.key, &key_);
      name = key_;
    }
    // A repeated key replaces the earlier value in place.
    size_t slot = count;
    for (size_t i = 0; i < count; ++i) {
      if (fields[i].name.size() == name.size() && fields[i].name == name) {
        slot = i;
        break;
      }
    }
    if (slot == count) {
      if (count == fields.size()) fields.emplace_back();
      fields[count].name.assign(name.data(), name.size());
      types_.push_back(m.type);
      ++count;
    }
    fields[slot].json.assign(m.value.data(), m.value.size());
    types_[slot] = m.type;
    escapes = escapes || m.value_escaped;
  }
  fields.resize(count);
  // Values: string bodies (decoded only when they hold escapes), other JSON text.
  values_.resize(count);
  if (decoded_.size() < count) decoded_.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const std::string& json = fields[i].json;
    if (types_[i] != JsonType::kString) {
      values_[i] = json;
      continue;
    }
    std::string_view body(json.data() + 1, json.size() - 2);
    if (escapes && body.find('\\') != std::string_view::npos) {
      decoded_[i].clear();
      DecodeJsonString(body, &decoded_[i]);
      values_[i] = decoded_[i];
    } else {
      values_[i] = body;
    }
  }
  return Finish(record, reason);
}

bool RecordBuilder::FromCells(const std::vector<std::string>& names, const std::vector<std::string>& cells,
                              Record* record, std::string* reason) {
  std::vector<Field>& fields = record->fields;
  const size_t count = names.size();
  fields.resize(count);
  types_.assign(count, JsonType::kString);
  values_.resize(count);
  for (size_t i = 0; i < count; ++i) {
    fields[i].name = names[i];
    fields[i].json.clear();
    AppendJsonString(cells[i], &fields[i].json);
    values_[i] = cells[i];
  }
  return Finish(record, reason);
}

bool RecordBuilder::CheckCaption(const Record& record, int index, const std::string& name, bool required,
                                 std::string* reason) {
  if (index < 0) {
    if (!required) return true;
    *reason = "missing field " + name;
    return false;
  }
  const auto i = static_cast<size_t>(index);
  if (types_[i] != JsonType::kString) {
    if (!required) return true;
    *reason = "field " + name + " is " + (types_[i] == JsonType::kArray || types_[i] == JsonType::kObject ? "an " : "a ") +
              JsonTypeName(types_[i]) + ", not a string";
    return false;
  }
  if (record.fields[i].json.size() > options_.max_field_bytes) {
    *reason = "field " + name + " is " + std::to_string(record.fields[i].json.size()) +
              " bytes, over max_field_bytes (" + std::to_string(options_.max_field_bytes) + ")";
    return false;
  }
  return true;
}

bool RecordBuilder::Finish(Record* record, std::string* reason) {
  const FieldMap& map = options_.fields;
  int raw = -1, synthetic = -1, id = -1;
  const size_t nrefs = map.references.size();
  int refs_inline[8];
  std::vector<int> refs_heap;
  int* refs = refs_inline;
  if (nrefs > 8) {
    refs_heap.assign(nrefs, -1);
    refs = refs_heap.data();
  }
  for (size_t r = 0; r < nrefs; ++r) refs[r] = -1;
  for (size_t i = 0; i < record->fields.size(); ++i) {
    const std::string& name = record->fields[i].name;
    if (raw < 0 && name == map.raw) raw = static_cast<int>(i);
    if (synthetic < 0 && name == map.synthetic) synthetic = static_cast<int>(i);
    if (id < 0 && !map.id.empty() && name == map.id) id = static_cast<int>(i);
    for (size_t r = 0; r < nrefs; ++r) {
      if (refs[r] < 0 && name == map.references[r]) refs[r] = static_cast<int>(i);
    }
  }

  // Raw caption: entities, then whitespace.
  if (!CheckCaption(*record, raw, map.raw, options_.require_raw, reason)) return false;
  record->raw.clear();
  if (raw >= 0 && types_[static_cast<size_t>(raw)] == JsonType::kString) {
    std::string_view text = values_[static_cast<size_t>(raw)];
    if (options_.decode_entities && text.find('&') != std::string_view::npos) {
      scratch_.clear();
      DecodeHtmlEntities(text, &scratch_);
      NormalizeWhitespace(scratch_, &record->raw);
    } else {
      NormalizeWhitespace(text, &record->raw);
    }
  }
  if (!CheckCaption(*record, synthetic, map.synthetic, options_.require_synthetic, reason)) {
    return false;
  }
  record->synthetic.clear();
  if (synthetic >= 0 && types_[static_cast<size_t>(synthetic)] == JsonType::kString) {
    NormalizeWhitespace(values_[static_cast<size_t>(synthetic)], &record->synthetic);
  }
  record->references.resize(nrefs);
  for (size_t r = 0; r < nrefs; ++r) {
    if (!CheckCaption(*record, refs[r], map.references[r], options_.require_references, reason)) {
      return false;
    }
    record->references[r].clear();
    if (refs[r] >= 0 && types_[static_cast<size_t>(refs[r])] == JsonType::kString) {
      NormalizeWhitespace(values_[static_cast<size_t>(refs[r])], &record->references[r]);
    }
  }

  // Id: the id field (string or number), else a hash of the whole row.
  if (id >= 0 && types_[static_cast<size_t>(id)] != JsonType::kNull) {
    const auto i = static_cast<size_t>(id);
    if (types_[i] != JsonType::kString && types_[i] != JsonType::kNumber) {
      *reason = "id field " + map.id + " is " + (types_[i] == JsonType::kArray || types_[i] == JsonType::kObject ? "an " : "a ") +
                JsonTypeName(types_[i]) + ", not a string or number";
      return false;
    }
    if (record->fields[i].json.size() > options_.max_field_bytes) {
      *reason = "id field " + map.id + " is over max_field_bytes (" + std::to_string(options_.max_field_bytes) + ")";
      return false;
    }
    record->id.assign(values_[i].data(), values_[i].size());
    record->id_generated = false;
  } else {
    // XXH64 (seed 0) of: name, 0x00, value, 0x00 for each field in order,
    // where a string's value is its decoded text and any other value its JSON text.
    content_.clear();
    for (size_t i = 0; i < record->fields.size(); ++i) {
      content_.append(record->fields[i].name);
      content_.push_back('\0');
      content_.append(values_[i].data(), values_[i].size());
      content_.push_back('\0');
    }
    record->id = HexId(Xxh64(content_));
    record->id_generated = true;
  }
  return true;
}

}  // namespace capsfusion::io
