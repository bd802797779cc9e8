#ifndef CLIBFUZZER_H
#define CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

// libFuzzer's documented driver entry point (compiler-rt FuzzerInterface.h,
// LLVM >= 11), linked in by -sanitize=fuzzer. The fuzz executables call it
// from their own entry point: SwiftPM links every executable target with
// `main` aliased to `<module>_main`, so libFuzzer's own `main` is never used.
int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*UserCb)(const uint8_t *Data, size_t Size));

#endif
