#include "engine/vocabulary/record_codec.h"

#include <array>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "engine/vocabulary/experiment_json.h"
#include "engine/vocabulary/field_text.h"

namespace cohort {
namespace {

// Finds a body's game_id field, so that commands about a game land in the game column.
struct GameIdProbe {
  GameId found = kNoGame;
  void operator()(std::string_view key, const std::int64_t& value) {
    if (key == "game_id") found = value;
  }
  template <class T>
  void operator()(std::string_view, const T&) {}
};

template <class Body>
void encode_body(const Body& body, std::string& out) {
  field_text::Writer writer(out);
  Body::fields(body, writer);
}

template <class Body>
Body decode_body(field_text::Reader& reader) {
  Body body;
  Body::fields(body, reader);
  reader.finish();
  return body;
}

// One decode function per variant alternative, looked up by type name.
template <class Variant>
struct NameTable {
  using Decoder = Variant (*)(field_text::Reader&);
  struct Entry {
    std::string_view name;
    int version;
    Decoder decode;
  };

  template <std::size_t... I>
  static constexpr auto make(std::index_sequence<I...>) {
    return std::array<Entry, sizeof...(I)>{Entry{
        std::variant_alternative_t<I, Variant>::name, version_of<std::variant_alternative_t<I, Variant>>(),
        [](field_text::Reader& r) -> Variant {
          return Variant{std::in_place_index<I>, decode_body<std::variant_alternative_t<I, Variant>>(r)};
        }}...};
  }

  template <class Body>
  static constexpr int version_of() {
    if constexpr (requires { Body::version; }) {
      return Body::version;
    } else {
      return kCommandVersion;
    }
  }

  static constexpr auto entries = make(std::make_index_sequence<std::variant_size_v<Variant>>{});

  static const Entry* find(std::string_view name) {
    static const std::unordered_map<std::string_view, const Entry*> by_name = [] {
      std::unordered_map<std::string_view, const Entry*> map;
      for (const Entry& entry : entries) map.emplace(entry.name, &entry);
      return map;
    }();
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
  }
};

template <class Variant>
const typename NameTable<Variant>::Entry& entry_for(const RecordView& record) {
  const auto* entry = NameTable<Variant>::find(record.type);
  if (!entry) throw CodecError(record.seq, "unknown type '" + std::string(record.type) + "'");
  if (record.version > entry->version) {
    throw CodecError(record.seq, "type '" + std::string(record.type) + "' has version " +
                                     std::to_string(record.version) + ", newer than this build's " +
                                     std::to_string(entry->version));
  }
  return *entry;
}

}  // namespace

CodecError::CodecError(Seq at_seq, const std::string& why)
    : std::runtime_error("record " + std::to_string(at_seq) + ": " + why), seq(at_seq), reason(why) {}

const char* kind_name(RecordKind kind) { return kind == RecordKind::command ? "command" : "event"; }

Record to_record(const Command& command) {
  Record record;
  record.at = command.at;
  record.kind = RecordKind::command;
  record.type = std::string(command_name(command.body));
  record.subject = command.subject;
  field_text::Writer writer(record.payload);
  writer("conn", command.conn);
  writer("ack", command.ack);
  std::visit(
      [&](const auto& body) {
        using Body = std::decay_t<decltype(body)>;
        // As for events (event_to_record): a payload that reads the same at an older version says so.
        if constexpr (requires { body.payload_version(); }) {
          record.version = body.payload_version();
        } else {
          record.version = NameTable<CommandBody>::version_of<Body>();
        }
        encode_body(body, record.payload);
        GameIdProbe probe;
        Body::fields(body, probe);
        record.game = probe.found;
      },
      command.body);
  return record;
}

Record to_record(const Event& event, Seq causation) {
  Record record;
  record.at = event.at;
  record.kind = RecordKind::event;
  record.subject = event.subject;
  record.game = event.game;
  record.scene = event.scene;
  record.causation = causation;
  std::visit(
      [&](const auto& body) {
        using Body = std::decay_t<decltype(body)>;
        record.type = std::string(Body::name);
        // A body whose payload reads the same at an older version says so: an older log's
        // records are then re-decided byte for byte (rerun), and older builds still read them.
        if constexpr (requires { body.payload_version(); }) {
          record.version = body.payload_version();
        } else {
          record.version = Body::version;
        }
        encode_body(body, record.payload);
      },
      event.body);
  return record;
}

Command command_from_record(const RecordView& record) {
  if (record.kind != RecordKind::command) throw CodecError(record.seq, "not a command record");
  const auto& entry = entry_for<CommandBody>(record);
  Command command;
  command.at = record.at;
  command.subject = std::string(record.subject);
  try {
    // The envelope's conn and ack lead the payload; the body's fields follow.
    field_text::Reader reader(record.payload);
    reader("conn", command.conn);
    reader("ack", command.ack);
    command.body = entry.decode(reader);
  } catch (const field_text::FieldError& error) {
    throw CodecError(record.seq, std::string(record.type) + ": " + error.what());
  }
  return command;
}

Event event_from_record(const RecordView& record) {
  if (record.kind != RecordKind::event) throw CodecError(record.seq, "not an event record");
  const auto& entry = entry_for<EventBody>(record);
  Event event;
  event.at = record.at;
  event.subject = std::string(record.subject);
  event.game = record.game;
  event.scene = record.scene;
  try {
    field_text::Reader reader(record.payload);
    event.body = entry.decode(reader);
  } catch (const field_text::FieldError& error) {
    throw CodecError(record.seq, std::string(record.type) + ": " + error.what());
  }
  // Every reader builds on the experiment an experiment_configured records: one this build
  // cannot read is refused here, where every other undecodable record is.
  if (const auto* configured = std::get_if<ev::ExperimentConfigured>(&event.body)) {
    try {
      parse_experiment(configured->experiment);
    } catch (const ConfigError& error) {
      throw CodecError(record.seq, std::string(record.type) + ": " + error.what());
    }
  }
  return event;
}

}  // namespace cohort
