#include "tests/bench/raw_scan.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>

namespace cohort::bench {

RawScan raw_scan(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error(path + ": cannot open");
  }
  sqlite3_stmt* rows = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT seq, at, kind, type, version, subject, game, scene, causation, payload, checksum "
                     "FROM records WHERE seq >= ? ORDER BY seq",
                     -1, &rows, nullptr);
  sqlite3_bind_int64(rows, 1, 1);
  RawScan scan;
  std::int64_t sum = 0;
  auto start = std::chrono::steady_clock::now();
  while (sqlite3_step(rows) == SQLITE_ROW) {
    ++scan.records;
    for (int c : {0, 1, 4, 6, 7, 8, 10}) sum += sqlite3_column_int64(rows, c);
    for (int c : {2, 3, 5, 9}) {
      sum += sqlite3_column_text(rows, c) != nullptr;
      scan.bytes += static_cast<std::size_t>(sqlite3_column_bytes(rows, c));
    }
  }
  scan.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sqlite3_finalize(rows);
  sqlite3_close(db);
  scan.bytes += static_cast<std::size_t>(sum & 1);  // keeps the reads from being optimised away
  return scan;
}

}  // namespace cohort::bench
