// Encoding and decoding of journal record payloads, batches and version 1 records. See
// journal_record.h for the formats.
#include "tiering/journal_record.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "tiering/crc32c.h"
#include "tiering/little_endian.h"

namespace tierkv {
namespace {

constexpr size_t kMaxVarintBytes = 10;  // ceil(64 / 7)
// Counts are bounded by the payload size, but a vector slot is 24-32 bytes per counted
// byte; reserve at most this many up front and let larger vectors grow as they fill.
constexpr uint64_t kMaxReserve = 1024;

size_t ReserveFor(uint64_t count) {
  return static_cast<size_t>(count < kMaxReserve ? count : kMaxReserve);
}

size_t VarintSize(uint64_t value) {
  size_t bytes = 1;
  for (; value >= 0x80; value >>= 7) ++bytes;
  return bytes;
}

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Reads the payload after its CRC has been verified. Any failure here means the bytes
// were written wrongly (or the CRC collided), so every failure is corruption.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view payload) : rest_(payload) {}

  bool ReadVarint(uint64_t* value) {
    uint64_t result = 0;
    for (size_t i = 0; i < kMaxVarintBytes && i < rest_.size(); ++i) {
      const auto byte = static_cast<unsigned char>(rest_[i]);
      const uint64_t group = byte & 0x7f;
      // The tenth byte may only carry the top bit of a 64-bit value.
      if (i == kMaxVarintBytes - 1 && group > 1) return false;
      result |= group << (7 * i);
      if ((byte & 0x80) == 0) {
        rest_.remove_prefix(i + 1);
        *value = result;
        return true;
      }
    }
    return false;  // ran off the payload or longer than 10 bytes
  }

  // Reads a count of items that each take at least one more byte of payload, so a
  // count larger than what remains is impossible and rejected before any reserve().
  bool ReadCount(uint64_t* count) { return ReadVarint(count) && *count <= rest_.size(); }

  bool ReadBytes(uint64_t len, std::string* out) {
    if (len > rest_.size()) return false;
    out->assign(rest_.data(), static_cast<size_t>(len));
    rest_.remove_prefix(static_cast<size_t>(len));
    return true;
  }

  bool empty() const { return rest_.empty(); }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

DecodeResult Fail(DecodeResult result, std::string* why, const char* text) {
  if (why != nullptr) *why = text;
  return result;
}

}  // namespace

void EncodeRecordPayload(const JournalRecord& record, std::string* out) {
  AppendVarint(record.lsn, out);
  AppendVarint(record.db, out);
  AppendVarint(record.effects.size(), out);
  for (const JournalEffect& effect : record.effects) {
    AppendVarint(effect.size(), out);
    for (const std::string& arg : effect) {
      AppendVarint(arg.size(), out);
      out->append(arg);
    }
  }
}

DecodeResult DecodeRecordPayload(std::string_view payload, JournalRecord* out, std::string* why) {
  PayloadReader reader(payload);
  JournalRecord record;
  uint64_t db = 0;
  uint64_t effect_count = 0;
  if (!reader.ReadVarint(&record.lsn) || !reader.ReadVarint(&db) || db > UINT32_MAX ||
      !reader.ReadCount(&effect_count)) {
    return Fail(DecodeResult::kCorrupt, why, "malformed record fields");
  }
  record.db = static_cast<uint32_t>(db);
  record.effects.reserve(ReserveFor(effect_count));
  for (uint64_t e = 0; e < effect_count; ++e) {
    uint64_t argc = 0;
    if (!reader.ReadCount(&argc)) return Fail(DecodeResult::kCorrupt, why, "malformed effect");
    JournalEffect& effect = record.effects.emplace_back();
    effect.reserve(ReserveFor(argc));
    for (uint64_t a = 0; a < argc; ++a) {
      uint64_t len = 0;
      if (!reader.ReadVarint(&len) || !reader.ReadBytes(len, &effect.emplace_back())) {
        return Fail(DecodeResult::kCorrupt, why, "malformed effect argument");
      }
    }
  }
  if (!reader.empty()) return Fail(DecodeResult::kCorrupt, why, "trailing bytes in record");
  *out = std::move(record);
  return DecodeResult::kOk;
}

bool PeekPayloadLsn(std::string_view payload, uint64_t* lsn) {
  PayloadReader reader(payload);
  return reader.ReadVarint(lsn);
}

void EncodeRecord(const JournalRecord& record, std::string* batch) {
  // The length goes first: count the payload's bytes rather than copy a large one.
  uint64_t size = VarintSize(record.lsn) + VarintSize(record.db) + VarintSize(record.effects.size());
  for (const JournalEffect& effect : record.effects) {
    size += VarintSize(effect.size());
    for (const std::string& arg : effect) size += VarintSize(arg.size()) + arg.size();
  }
  AppendVarint(size, batch);
  const size_t payload_at = batch->size();
  EncodeRecordPayload(record, batch);
  if (batch->size() - payload_at != size) {  // VarintSize and AppendVarint disagree: a bug
    std::fprintf(stderr, "tierkv: journal record LSN %llu: counted %llu payload bytes, wrote %zu\n",
                 static_cast<unsigned long long>(record.lsn), static_cast<unsigned long long>(size),
                 batch->size() - payload_at);
    std::abort();
  }
}

bool NextBatchPayload(std::string_view* batch, std::string_view* payload) {
  PayloadReader reader(*batch);
  uint64_t size = 0;
  if (!reader.ReadVarint(&size)) return false;
  const std::string_view rest = reader.rest();
  if (size > rest.size()) return false;
  *payload = rest.substr(0, static_cast<size_t>(size));
  *batch = rest.substr(static_cast<size_t>(size));
  return true;
}

DecodeResult DecodeV1Record(std::string_view in, JournalRecord* out, size_t* consumed,
                            std::string* why) {
  if (in.size() < kV1RecordHeaderSize) {
    return Fail(DecodeResult::kIncomplete, why, "record header cut short");
  }
  const uint32_t payload_size = LoadLittleEndian<uint32_t>(in.data());
  const uint32_t stored_crc = LoadLittleEndian<uint32_t>(in.data() + 4);
  if (payload_size > kV1MaxPayloadSize) {
    return Fail(DecodeResult::kCorrupt, why, "record length exceeds the maximum");
  }
  if (payload_size < kMinJournalPayloadSize) {
    return Fail(DecodeResult::kCorrupt, why, "record length below the minimum");
  }
  if (in.size() - kV1RecordHeaderSize < payload_size) {
    return Fail(DecodeResult::kIncomplete, why, "record payload cut short");
  }
  const std::string_view payload = in.substr(kV1RecordHeaderSize, payload_size);
  if (Crc32c(0, payload.data(), payload.size()) != stored_crc) {
    return Fail(DecodeResult::kCorrupt, why, "record checksum mismatch");
  }
  JournalRecord record;
  if (DecodeResult result = DecodeRecordPayload(payload, &record, why); result != DecodeResult::kOk) {
    return result;
  }
  *out = std::move(record);
  *consumed = kV1RecordHeaderSize + payload_size;
  return DecodeResult::kOk;
}

void EncodeV1RecordForTesting(const JournalRecord& record, std::string* out) {
  std::string payload;
  EncodeRecordPayload(record, &payload);
  if (payload.size() > kV1MaxPayloadSize) {
    std::fprintf(stderr, "tierkv: a version 1 journal record holds at most %u bytes\n", kV1MaxPayloadSize);
    std::abort();
  }
  char header[kV1RecordHeaderSize];
  StoreLittleEndian<uint32_t>(static_cast<uint32_t>(payload.size()), header);
  StoreLittleEndian<uint32_t>(Crc32c(0, payload.data(), payload.size()), header + 4);
  out->append(header, sizeof(header));
  out->append(payload);
}

const char* DecodeResultName(DecodeResult result) {
  switch (result) {
    case DecodeResult::kOk: return "ok";
    case DecodeResult::kIncomplete: return "incomplete";
    case DecodeResult::kCorrupt: return "corrupt";
  }
  return "unknown";
}

}  // namespace tierkv
