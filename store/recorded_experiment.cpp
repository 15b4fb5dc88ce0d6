#include "store/recorded_experiment.h"

#include "engine/vocabulary/experiment_json.h"
#include "engine/vocabulary/record_codec.h"
#include "store/checksum.h"

namespace cohort {

std::optional<RecordedExperiment> recorded_experiment(LogReader& reader) {
  if (auto first = reader.first_of_type(std::string(ev::ExperimentConfigured::name))) {
    const auto& [record, stored_checksum] = *first;
    if (record.kind == RecordKind::event && record_checksum(view_of(record)) == stored_checksum) {
      try {
        // Decoding parses the experiment (record_codec.h); parsed again here to keep it.
        auto body = std::get<ev::ExperimentConfigured>(event_from_record(record).body);
        return RecordedExperiment{std::make_shared<const Experiment>(parse_experiment(body.experiment)), true};
      } catch (const CodecError&) {
      }
    }
  }
  auto config = reader.meta("config");
  if (!config) return std::nullopt;
  // A copied log's meta is outside input like any config file: the parser bounds its depth.
  return RecordedExperiment{std::make_shared<const Experiment>(parse_experiment(*config, {})), false};
}

}  // namespace cohort
