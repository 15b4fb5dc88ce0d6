#pragma once
// The scalar identifiers every module shares.
#include <cstdint>

namespace cohort {

using Millis = std::int64_t;  // milliseconds since the Unix epoch
using Seq = std::int64_t;     // a record's position in the log, from 1, gap-free
using GameId = std::int64_t;  // assigned by the decider from a counter in the state; 0 = none
using ConnId = std::int64_t;  // a server socket, recorded on the commands it sent; 0 = none

inline constexpr GameId kNoGame = 0;
inline constexpr ConnId kNoConn = 0;
inline constexpr int kNoScene = -1;

}  // namespace cohort
