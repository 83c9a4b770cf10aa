// FUNCTION DUMP payloads: the function libraries as bytes.
//
//   payload = (<RDB_OPCODE_FUNCTION2: 245> <library code: RDB string>)*
//             <rdb version: 2 bytes LE> <CRC-64: 8 bytes LE>
//
// which is what Redis 7 writes for FUNCTION DUMP and what an RDB file holds in its
// function section, so payloads travel between tierkv and Redis either way. The server
// keeps its libraries' payload as the state checkpoints and the journal carry.
//
// Thread-safety: free functions over caller-owned values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tierkv {

// The payload of libraries given by their code.
std::string EncodeFunctionsPayload(const std::vector<std::string_view>& codes);

// The library codes a payload holds. Returns Redis's FUNCTION RESTORE error text
// (without "ERR "), or "" with *codes filled.
std::string DecodeFunctionsPayload(std::string_view payload, std::vector<std::string>* codes);

}  // namespace tierkv
