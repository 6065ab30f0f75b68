/*
 * test/fuzz/fuzz_util.h - helpers shared by the vpndns fuzz targets.
 *
 * Copyright (c) 2026, the vpndns contributors. All rights reserved.
 *
 * This software is open source; see the LICENSE file for the BSD license.
 */

/**
 * \file
 *
 * Small helpers for the libFuzzer targets: quiet logging, NUL-terminated
 * copies of the input, an input that has to be a file, and the check that
 * stops a target when an invariant fails.
 */

#ifndef VPNDNS_FUZZ_UTIL_H
#define VPNDNS_FUZZ_UTIL_H
#include <stddef.h>
#include <stdint.h>

/**
 * Send Unbound's log to /dev/null (set FUZZ_VERBOSE=1 in the environment
 * to keep it on stderr), once per process.
 */
void fuzz_quiet_logs(void);

/**
 * A NUL-terminated malloced copy of the input.
 * @param data: the input.
 * @param size: its length.
 * @return the copy; aborts on malloc failure.
 */
char* fuzz_strndup(const uint8_t* data, size_t size);

/**
 * A malloced copy of exactly size bytes (at least 1 byte allocated).
 * @param data: the bytes.
 * @param size: their number.
 * @return the copy; aborts on malloc failure.
 */
uint8_t* fuzz_memdup(const uint8_t* data, size_t size);

/**
 * Put bytes into an anonymous in-memory file and give its path, for the
 * module functions that only read files.  The file is the same on every
 * call of one slot; its contents are replaced.
 * @param slot: 0..3, several files may be in use at once.
 * @param data: the bytes.
 * @param size: their number.
 * @return the path, "/proc/self/fd/N"; aborts on failure.
 */
const char* fuzz_memfile(int slot, const uint8_t* data, size_t size);

/**
 * Make a temporary directory for the files a target writes at start;
 * it and the files in it are removed when the process exits.
 * @param tmpl: mkdtemp template, "/tmp/name-XXXXXX", changed in place;
 *	it must stay valid until exit.
 */
void fuzz_tmpdir(char* tmpl);

/**
 * Write a text file a target reads at start, as DIR/NAME.
 * @param dir: the directory, such as the one made by fuzz_tmpdir.
 * @param name: the file name in it.
 * @param text: the contents.
 * Aborts on failure: a target without its files would test nothing.
 */
void fuzz_write_file(const char* dir, const char* name, const char* text);

/**
 * Stop with a message when an invariant of the module fails; the fuzzer
 * then keeps the input as a crash.
 */
#define FUZZ_CHECK(cond, ...) do { if(!(cond)) { \
	fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); } } while(0)

/** report a failed FUZZ_CHECK and abort */
void fuzz_fail(const char* file, int line, const char* cond,
	const char* fmt, ...) __attribute__((noreturn, format(printf, 4, 5)));

#endif /* VPNDNS_FUZZ_UTIL_H */
