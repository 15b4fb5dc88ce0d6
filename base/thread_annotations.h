#pragma once
// Clang's thread-safety attributes (-Wthread-safety), as LevelDB and Abseil spell them: who may
// touch a member is stated where it is declared, and Clang checks every access. Under GCC they
// expand to nothing; the declarations still say it.
// https://clang.llvm.org/docs/ThreadSafetyAnalysis.html

#if defined(__clang__)
#define COHORT_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define COHORT_THREAD_ANNOTATION(x)
#endif

// On a class: its objects are something a thread holds (a mutex, a thread's role).
#define CAPABILITY(name) COHORT_THREAD_ANNOTATION(capability(name))
// On a class: an RAII holder of a capability (a lock guard).
#define SCOPED_CAPABILITY COHORT_THREAD_ANNOTATION(scoped_lockable)
// On a member: read or written only while holding `x`.
#define GUARDED_BY(x) COHORT_THREAD_ANNOTATION(guarded_by(x))
// On a function: its caller must hold `...` (exclusively, or at least shared).
#define REQUIRES(...) COHORT_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) COHORT_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
// On a function: it takes, or lets go of, `...` (the object itself when empty).
#define ACQUIRE(...) COHORT_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) COHORT_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) COHORT_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
// On a function: once it returns, the calling thread holds `...`.
#define ASSERT_CAPABILITY(...) COHORT_THREAD_ANNOTATION(assert_capability(__VA_ARGS__))
