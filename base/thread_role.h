#pragma once
// A part that one thread plays in an object (a log's writer thread, the engine thread), as a
// capability (base/thread_annotations.h): members only that thread touches are GUARDED_BY the
// role, functions that only it runs REQUIRE it, and Clang refuses a call or an access from
// anywhere else. The thread's own function takes the role once, at its top, with `assume()`.
// Constructors and destructors are not checked: they run before the thread starts and after
// it has been joined. Nothing is checked at run time.
#include "base/thread_annotations.h"

namespace cohort {

class CAPABILITY("thread role") ThreadRole {
 public:
  ThreadRole() = default;
  ThreadRole(const ThreadRole&) = delete;
  ThreadRole& operator=(const ThreadRole&) = delete;

  // REQUIRES: called only on the thread that plays the role (at the top of its function).
  void assume() const ASSERT_CAPABILITY(this) {}
};

}  // namespace cohort
