// RdbEncodeSink: where an RDB object encoding goes while a cursor (rdb_value_cursor.h)
// writes it, either in one go or in bounded steps.
//
// In one go (DUMP, RDB files, a state kept for a point-in-time round) the sink is a thin
// front for the caller's RdbWriter and never says it is full.
//
// In steps (a checkpoint round serializing a huge value between other clients' commands)
// the sink owns what was written so far and counts the work each step does (the bytes of
// every string it is given, plus a little per string for the framing around it); it is
// full once a step has done `budget` bytes of work. A string of at least
// `set_aside_from` bytes is not encoded on the spot: LZF over one huge string cannot be
// cut into steps, so the sink copies its bytes (a budget's worth per step) and leaves the
// encoding to RdbEncodedPieces::Assemble, which may run on any thread. The assembled bytes
// equal the one-go encoding's, because the same RdbWriter::WriteString encodes every
// string either way.
//
// Thread-safety: not thread-safe; the pieces it hands over are plain values.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/rdb/rdb_format.h"

namespace tierkv {

// An encoding in pieces: bytes ready to store, and strings set aside to be encoded.
class RdbEncodedPieces {
 public:
  RdbEncodedPieces() = default;
  explicit RdbEncodedPieces(RdbWriteOptions options) : options_(options) {}

  void AddBytes(std::string bytes);
  // Starts a set-aside string of `size` bytes; the caller fills its bytes (last_string()).
  void StartString(size_t size);
  std::string& last_string() { return pieces_.back().bytes; }

  // DRAM the pieces take.
  size_t held_bytes() const;
  // Their bytes (a string set aside counts its raw bytes, before it is encoded).
  size_t size() const;
  // The encoding, as one string (encodes the strings set aside; any thread). The pieces
  // are consumed as they are copied, so the peak is about one encoding plus one piece.
  std::string Assemble() &&;

 private:
  struct Piece {
    std::string bytes;
    bool string_to_encode = false;  // raw bytes of a string for RdbWriter::WriteString
  };
  RdbWriteOptions options_;
  std::vector<Piece> pieces_;
};

class RdbEncodeSink {
 public:
  // In one go, into `writer`.
  explicit RdbEncodeSink(RdbWriter& writer) : writer_(&writer) {}
  // In steps, into pieces the sink owns (Take()).
  RdbEncodeSink(RdbWriteOptions options, size_t set_aside_from);
  RdbEncodeSink(const RdbEncodeSink&) = delete;  // writer_ may point into the sink
  RdbEncodeSink& operator=(const RdbEncodeSink&) = delete;

  // For type bytes, lengths and other small fixed fields.
  RdbWriter& writer() { return *writer_; }
  // A string, as RdbWriter::WriteString writes it (maybe later, see top of file). In
  // steps, a string of kMinSetAside bytes or more must stay valid until the encoding is
  // done (it lies in the value); a shorter one may be a temporary.
  void String(std::string_view value);
  static constexpr size_t kMinSetAside = 4096;

  // Steps only: starts a step of about `budget` bytes of work, first copying more of a
  // string set aside in an earlier step. False if that copy is still not finished (the
  // step is spent).
  bool BeginStep(size_t budget);
  // The step's budget is spent (or a set-aside string is still being copied): the cursor
  // stops at its next boundary. Never in one go.
  bool full() const { return stepped() && (copy_ || work_ >= budget_); }
  bool copying() const { return copy_.has_value(); }
  // Steps only: everything written, as pieces (the sink is then empty).
  RdbEncodedPieces Take();

 private:
  bool stepped() const { return owned_writer_.has_value(); }
  void ContinueCopy();

  RdbWriter* writer_ = nullptr;
  // Stepped mode:
  RdbWriteOptions options_;
  std::string current_;                      // bytes since the last set-aside string
  std::optional<RdbWriter> owned_writer_;    // writes into current_
  RdbEncodedPieces pieces_;
  size_t set_aside_from_ = 0;
  size_t budget_ = 0;
  size_t work_ = 0;                          // work done in this step
  std::optional<std::string_view> copy_;     // what is left to copy of a set-aside string
};

}  // namespace tierkv
