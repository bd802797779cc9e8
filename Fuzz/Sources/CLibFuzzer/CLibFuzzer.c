// Header-only target: LLVMFuzzerRunDriver lives in compiler-rt's libFuzzer.
