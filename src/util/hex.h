// Lower-case hex encoding and strict decoding. Not here: bech32 (util/bech32.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fips {

std::string to_hex(std::span<const uint8_t> data);
// Accepts upper or lower case; nullopt on odd length or a non-hex character.
std::optional<std::vector<uint8_t>> from_hex(std::string_view s);
// Decodes exactly out.size() bytes; false on wrong length or bad character.
bool from_hex_into(std::string_view s, std::span<uint8_t> out);

}  // namespace fips
