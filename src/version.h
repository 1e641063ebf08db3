// Build version string shared by the binaries.
#pragma once
#define FIPS_VERSION_STRING "0.1.0"
