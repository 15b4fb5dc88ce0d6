#include "projections/metrics_export.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "engine/vocabulary/experiment_json.h"

namespace cohort {
namespace {

std::string json_text_of(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Calls `put(key, cell)` for every leaf of `object`, its key the path joined with dots.
template <class Put>
void flatten(const rapidjson::Value& object, const std::string& prefix, const Put& put) {
  for (const auto& member : object.GetObject()) {
    std::string key = prefix + "." + std::string(member.name.GetString(), member.name.GetStringLength());
    const rapidjson::Value& value = member.value;
    if (value.IsObject()) {
      flatten(value, key, put);
    } else if (value.IsString()) {
      put(key, text_cell(std::string(value.GetString(), value.GetStringLength())));
    } else if (value.IsBool()) {
      put(key, flag_cell(value.GetBool()));
    } else if (value.IsNull()) {
      put(key, Cell{});
    } else {  // a number, as the client wrote it (to the precision JSON keeps), or an array
      put(key, json_cell(json_text_of(value)));
    }
  }
}

}  // namespace

void MetricsMessages::configure(const Experiment& experiment) {
  scene_ids_.clear();
  for (const Scene& scene : experiment.scenes) scene_ids_.push_back(scene.scene_id);
}

void MetricsMessages::apply(Seq seq, const Event& event) {
  if (const auto* configured = std::get_if<ev::ExperimentConfigured>(&event.body)) {
    try {
      configure(parse_experiment(configured->experiment));
    } catch (const ConfigError&) {  // decoding refuses such a record
    }
    return;
  }
  const auto* stored = std::get_if<ev::MetricsStored>(&event.body);
  if (!stored) return;
  Message message{seq, event.at, event.subject, event.game, {}, {}};
  if (event.scene >= 0 && static_cast<std::size_t>(event.scene) < scene_ids_.size()) {
    message.scene_id = scene_ids_[static_cast<std::size_t>(event.scene)];
  }
  // The decider stored only objects within the nesting bound; the iterative parser keeps a
  // hand-made record from recursing deep all the same.
  rapidjson::Document metrics;
  metrics.Parse<rapidjson::kParseIterativeFlag>(stored->metrics.c_str(), stored->metrics.size());
  if (!metrics.HasParseError() && metrics.IsObject()) {
    flatten(metrics, "metrics", [&](const std::string& key, Cell cell) {
      auto [it, added] = key_index_.try_emplace(key, keys_.size());
      if (added) keys_.push_back(key);
      message.values.emplace_back(it->second, std::move(cell));
    });
  }
  messages_.push_back(std::move(message));
}

std::string MetricsMessages::text(ExportFormat format) const {
  std::vector<std::string> columns = {"seq", "at", "subject_id", "game_id", "scene_id"};
  columns.insert(columns.end(), keys_.begin(), keys_.end());
  ExportTable table(format, columns);
  for (const Message& message : messages_) {
    std::vector<Cell> cells = {number_cell(message.seq), number_cell(message.at), text_cell(message.subject),
                               message.game == kNoGame ? Cell{} : number_cell(message.game),
                               message.scene_id.empty() ? Cell{} : text_cell(message.scene_id)};
    cells.resize(columns.size());
    // A key that appears twice in a message (a literal "a.b" beside {"a": {"b"}}): the later wins.
    for (const auto& [index, cell] : message.values) cells[5 + index] = cell;
    table.add_row(cells);
  }
  return table.text();
}

}  // namespace cohort
