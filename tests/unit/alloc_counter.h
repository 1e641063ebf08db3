// The global allocation counter of the test binary (operator new is
// replaced in alloc_test.cc): other tests use it to prove a path allocates
// nothing.
#pragma once

#include <cstdint>

namespace fips::test {
// on = true resets the count and starts counting; false stops.
void alloc_counting(bool on);
uint64_t alloc_count();
}  // namespace fips::test
