#include "store/plain_tokens.h"

#include <string>
#include <string_view>
#include <vector>

#include "engine/vocabulary/commands.h"
#include "engine/vocabulary/events.h"
#include "engine/vocabulary/field_text.h"
#include "store/token_hash.h"

namespace cohort {
namespace {

struct Field {
  std::string_view key;
  std::string_view value;  // escaped, as in the payload
};

// Payload text is `key=value` pairs separated by single spaces; values are escaped, so they
// hold no space.
std::vector<Field> fields_of(std::string_view payload) {
  std::vector<Field> fields;
  while (!payload.empty()) {
    auto space = payload.find(' ');
    std::string_view pair = payload.substr(0, space);
    auto eq = pair.find('=');
    fields.push_back(eq == std::string_view::npos ? Field{pair, {}} : Field{pair.substr(0, eq), pair.substr(eq + 1)});
    if (space == std::string_view::npos) break;
    payload.remove_prefix(space + 1);
  }
  return fields;
}

void append_field(std::string& payload, std::string_view key, std::string_view escaped_value) {
  if (!payload.empty()) payload.push_back(' ');
  payload.append(key).push_back('=');
  payload.append(escaped_value);
}

// Each token field becomes `<key>_hash=<hash of the token>`; the other fields stay as they are.
std::optional<std::string> hash_fields(std::string_view payload, std::initializer_list<std::string_view> token_keys) {
  std::string out;
  bool changed = false;
  for (const Field& field : fields_of(payload)) {
    bool token = false;
    for (std::string_view key : token_keys) token = token || field.key == key;
    if (!token) {
      append_field(out, field.key, field.value);
      continue;
    }
    append_field(out, std::string(field.key) + "_hash", token_hash(field_text::unescape(field.value)));
    changed = true;
  }
  if (!changed) return std::nullopt;
  return out;
}

// The end of the JSON string that opens at `quote` (one past its closing quote), or npos.
std::size_t past_json_string(std::string_view json, std::size_t quote) {
  if (quote >= json.size() || json[quote] != '"') return std::string_view::npos;
  for (std::size_t i = quote + 1; i < json.size(); ++i) {
    if (json[i] == '\\') {
      ++i;
    } else if (json[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// The `registered` args as the engine wrote them, `{"subject_id":...,"resume_token":...,`,
// without the token member: what this build's engine writes.
std::optional<std::string> args_without_token(std::string_view args) {
  constexpr std::string_view opening = "{\"subject_id\":";
  constexpr std::string_view member = ",\"resume_token\":";
  if (!args.starts_with(opening)) return std::nullopt;
  std::size_t token_at = past_json_string(args, opening.size());
  if (token_at == std::string_view::npos || args.substr(token_at, member.size()) != member) return std::nullopt;
  std::size_t token_end = past_json_string(args, token_at + member.size());
  if (token_end == std::string_view::npos) return std::nullopt;
  return std::string(args.substr(0, token_at)) + std::string(args.substr(token_end));
}

std::optional<std::string> registered_without_token(std::string_view payload) {
  std::vector<Field> fields = fields_of(payload);
  bool registered = false;
  for (const Field& field : fields) registered = registered || (field.key == "event" && field.value == "registered");
  if (!registered) return std::nullopt;
  std::string out;
  bool changed = false;
  for (const Field& field : fields) {
    if (field.key != "args") {
      append_field(out, field.key, field.value);
      continue;
    }
    auto args = args_without_token(field_text::unescape(field.value));
    if (!args) return std::nullopt;
    std::string escaped;
    field_text::append_escaped(escaped, *args, false);
    append_field(out, field.key, escaped);
    changed = true;
  }
  if (!changed) return std::nullopt;
  return out;
}

// The version that replaced plain tokens with their hashes, for both types: later versions only
// added fields (params) that a version-1 record never has, so a migrated record stays at this one.
constexpr int kHashedTokensVersion = 2;

}  // namespace

std::optional<Record> without_plain_tokens(const RecordView& record) {
  std::optional<std::string> payload;
  int version = record.version;
  if (record.kind == RecordKind::command && record.type == cmd::RegisterSubject::name && record.version == 1) {
    payload = hash_fields(record.payload, {"resume_token", "issued_token"});
    version = kHashedTokensVersion;
  } else if (record.kind == RecordKind::event && record.type == ev::SubjectRegistered::name && record.version == 1) {
    payload = hash_fields(record.payload, {"resume_token"});
    version = kHashedTokensVersion;
  } else if (record.kind == RecordKind::event && record.type == ev::Notification::name) {
    payload = registered_without_token(record.payload);
  }
  if (!payload) return std::nullopt;
  Record upgraded = owned(record);
  upgraded.payload = std::move(*payload);
  upgraded.version = version;
  return upgraded;
}

}  // namespace cohort
