// RdbValueCursor: writes one value's RDB object encoding (type byte and value) in parts,
// so that a huge collection can be serialized a bounded amount at a time
// (RdbSteppedEncoder below; a checkpoint round uses it between other clients' commands).
//
// A cursor keeps positions into the value: quicklist node indexes, hashtable slots, a
// skiplist leaf, a stream node iterator. So from the first call until the one that returns
// true, the value must neither change nor be freed, and nothing may move its structure:
// a hash lookup may advance an incremental resize (FieldTable), which moves slots. The
// caller finishes the encoding before anything touches the value (the checkpoint round
// does so from the keyspace's pre-change hook, which every lookup passes).
//
// Every collection is written element by element; its small parts (a listpack-encoded
// value's blob, an intset, a stream's metadata and consumer groups) are written whole.
// Each type's cursor lives in its engine/rdb/rdb_<type>.cc (rdb_collections.h).
//
// Thread-safety: not thread-safe; a cursor belongs to the thread that owns its value.
#pragma once

#include <cstddef>
#include <memory>

#include "engine/entry.h"
#include "engine/rdb/rdb_encode_sink.h"

namespace tierkv {

class RdbValueCursor {
 public:
  virtual ~RdbValueCursor() = default;
  // Writes on from where the last call stopped until `sink` is full; true once the whole
  // value has been given to the sink (a string set aside may still be being copied).
  virtual bool WriteMore(RdbEncodeSink& sink) = 0;
};

// The shape of every collection's cursor: a start written once (the type byte and a count,
// or the whole of a compact encoding), then elements from a position kept between calls.
class RdbCollectionCursor : public RdbValueCursor {
 public:
  bool WriteMore(RdbEncodeSink& sink) final {
    if (!started_) {
      started_ = true;
      if (WriteStart(sink)) return true;
    }
    return WriteElements(sink);
  }

 protected:
  // Writes the start; true if that was the whole value.
  virtual bool WriteStart(RdbEncodeSink& sink) = 0;
  // Writes elements until the sink is full (checked before each); true once all are written.
  virtual bool WriteElements(RdbEncodeSink& sink) = 0;

 private:
  bool started_ = false;
};

// Runs `cursor` to the end in one go, into `writer`.
void WriteWhole(RdbWriter& writer, RdbValueCursor&& cursor);

// A cursor over the entry's value, writing what WriteRdbObject writes.
std::unique_ptr<RdbValueCursor> NewRdbObjectCursor(const Entry& entry);

// The RDB object encoding of one entry's value, a bounded step at a time. The bytes
// assembled at the end equal WriteRdbObject's (with the same write options).
class RdbSteppedEncoder {
 public:
  // Strings of at least `set_aside_from` bytes are copied in steps and encoded by
  // RdbEncodedPieces::Assemble (rdb_encode_sink.h).
  RdbSteppedEncoder(const Entry& entry, size_t set_aside_from, RdbWriteOptions options = {})
      : sink_(options, set_aside_from), cursor_(NewRdbObjectCursor(entry)) {}

  // Does about `budget` bytes of work (at least one element, whatever its size, except a
  // string set aside, whose copy is cut at `budget`); true once the value is encoded.
  bool Step(size_t budget);
  bool done() const { return done_; }
  // The encoding, once done().
  RdbEncodedPieces Take() { return sink_.Take(); }

 private:
  RdbEncodeSink sink_;
  std::unique_ptr<RdbValueCursor> cursor_;
  bool cursor_done_ = false;
  bool done_ = false;
};

}  // namespace tierkv
