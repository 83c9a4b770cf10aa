// RdbEncodeSink and RdbEncodedPieces. See rdb_encode_sink.h.
#include "engine/rdb/rdb_encode_sink.h"

#include <algorithm>
#include <utility>

namespace tierkv {
namespace {

// Work counted per string besides its bytes: the framing around it (lengths, scores, IDs)
// and the per-element cost of walking a collection, so that a step over many tiny
// elements stays bounded too.
constexpr size_t kWorkPerString = 16;
// Encoded bytes are handed over in pieces of about this size.
constexpr size_t kPieceBytes = 256u << 10;

}  // namespace

void RdbEncodedPieces::AddBytes(std::string bytes) {
  if (bytes.empty()) return;
  pieces_.push_back({std::move(bytes), false});
}

void RdbEncodedPieces::StartString(size_t size) {
  pieces_.push_back({std::string(), true});
  pieces_.back().bytes.reserve(size);
}

size_t RdbEncodedPieces::held_bytes() const {
  size_t bytes = 0;
  for (const Piece& piece : pieces_) bytes += piece.bytes.capacity();
  return bytes;
}

size_t RdbEncodedPieces::size() const {
  size_t bytes = 0;
  for (const Piece& piece : pieces_) bytes += piece.bytes.size();
  return bytes;
}

std::string RdbEncodedPieces::Assemble() && {
  if (pieces_.size() == 1 && !pieces_[0].string_to_encode) return std::move(pieces_[0].bytes);
  std::string out;
  RdbWriter writer(&out, options_);
  for (Piece& piece : pieces_) {
    if (piece.string_to_encode) {
      writer.WriteString(piece.bytes);
    } else {
      writer.WriteBytes(piece.bytes);
    }
    std::string().swap(piece.bytes);  // freed as soon as it is copied
  }
  pieces_.clear();
  return out;
}

RdbEncodeSink::RdbEncodeSink(RdbWriteOptions options, size_t set_aside_from)
    : options_(options), pieces_(options), set_aside_from_(std::max(set_aside_from, kMinSetAside)) {
  owned_writer_.emplace(&current_, options);
  writer_ = &*owned_writer_;
}

void RdbEncodeSink::String(std::string_view value) {
  if (!stepped() || value.size() < set_aside_from_) {
    writer_->WriteString(value);
    work_ += value.size() + kWorkPerString;
    return;
  }
  pieces_.AddBytes(std::exchange(current_, std::string()));
  pieces_.StartString(value.size());
  work_ += kWorkPerString;
  copy_ = value;
  ContinueCopy();
}

void RdbEncodeSink::ContinueCopy() {
  const size_t room = budget_ > work_ ? budget_ - work_ : 0;
  const size_t n = std::min(room, copy_->size());
  pieces_.last_string().append(copy_->substr(0, n));
  work_ += n;
  copy_->remove_prefix(n);
  if (copy_->empty()) copy_.reset();
}

bool RdbEncodeSink::BeginStep(size_t budget) {
  // Pieces of bounded size: one string growing by doubling would copy all it holds, at
  // once, when it reallocates.
  if (current_.size() >= kPieceBytes) pieces_.AddBytes(std::exchange(current_, std::string()));
  budget_ = std::max<size_t>(budget, 1);
  work_ = 0;
  if (copy_) ContinueCopy();
  return !copy_;
}

RdbEncodedPieces RdbEncodeSink::Take() {
  pieces_.AddBytes(std::exchange(current_, std::string()));
  return std::exchange(pieces_, RdbEncodedPieces(options_));
}

}  // namespace tierkv
