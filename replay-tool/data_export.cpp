#include "replay-tool/data_export.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include "engine/vocabulary/json_text.h"
#include "store/participant_data.h"

namespace cohort {
namespace {

constexpr std::size_t kMaxNamePart = 48;

void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string scene_id_of(const Experiment& experiment, int scene) {
  if (scene < 0 || scene >= static_cast<int>(experiment.scenes.size())) return "";
  return experiment.scenes[static_cast<std::size_t>(scene)].scene_id;
}

}  // namespace

std::string file_name_part(std::string_view id) {
  std::string out;
  for (char c : id.substr(0, kMaxNamePart)) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    out.push_back(plain ? c : '_');
  }
  return out.empty() ? "_" : out;
}

DataExportReport export_data(OpenedLog& log, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::create_directories(dir, error);
  if (error || !fs::is_directory(dir)) throw std::runtime_error("cannot make the directory " + dir);
  DataExportReport report;
  std::map<std::string, std::ofstream> lines;  // by kind
  log.reader->scan_data([&](const DataRecord& row, std::uint64_t) {
    // The kind is one of the four data events (wire_message.h); kept to a file name all the same.
    const std::string kind = file_name_part(row.kind);
    const std::string scene_id = scene_id_of(*log.experiment, row.scene);
    std::string attachments = "[";
    for (std::size_t num = 0; num < row.attachments.size(); ++num) {
      fs::create_directories(fs::path(dir) / kind);
      std::string file = kind + "/" + std::to_string(row.seq) + "-" + file_name_part(row.subject) + "-" +
                         file_name_part(scene_id.empty() ? std::to_string(row.scene) : scene_id) + "-" +
                         std::to_string(num) + ".bin";
      write_file(fs::path(dir) / file, row.attachments[num]);
      ++report.files;
      if (num > 0) attachments += ",";
      attachments += JsonObject()
                         .num("num", static_cast<std::int64_t>(num))
                         .str("file", file)
                         .num("bytes", static_cast<std::int64_t>(row.attachments[num].size()))
                         .text();
    }
    attachments += "]";
    JsonObject line;
    line.num("seq", row.seq).num("at", row.at).str("subject", row.subject);
    if (row.game == kNoGame) line.raw("game", "null"); else line.num("game", row.game);
    if (row.scene == kNoScene) line.raw("scene_index", "null"); else line.num("scene_index", row.scene);
    if (scene_id.empty()) line.raw("scene_id", "null"); else line.str("scene_id", scene_id);
    line.raw("data", row.json).raw("attachments", attachments);
    auto [it, fresh] = lines.try_emplace(row.kind);
    if (fresh) it->second.open(fs::path(dir) / (kind + ".jsonl"), std::ios::binary | std::ios::trunc);
    it->second << line.text() << '\n';
    if (!it->second) throw std::runtime_error("cannot write " + (fs::path(dir) / (kind + ".jsonl")).string());
    ++report.rows;
    return true;
  });
  return report;
}

}  // namespace cohort
