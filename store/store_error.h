#pragma once
#include <stdexcept>

namespace cohort {

// A log that cannot be opened or used: missing, not a Cohort log, newer schema, I/O failure.
// The message is one line, fit to print as a program's reason for exiting.
struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace cohort
