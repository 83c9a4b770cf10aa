// Encoding and decoding of journal records. See journal_record.h for the format.
#include "tiering/journal_record.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "tiering/crc32c.h"

namespace tierkv {
namespace {

constexpr size_t kMaxVarintBytes = 10;  // ceil(64 / 7)
// Counts are bounded by the payload size, but a vector slot is 24-32 bytes per counted
// byte; reserve at most this many up front and let larger vectors grow as they fill.
constexpr uint64_t kMaxReserve = 1024;

size_t ReserveFor(uint64_t count) {
  return static_cast<size_t>(count < kMaxReserve ? count : kMaxReserve);
}

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

void StoreLittleEndian32(uint32_t value, char* p) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

uint32_t LoadLittleEndian32(const char* p) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return value;
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

 private:
  std::string_view rest_;
};

DecodeResult Fail(DecodeResult result, std::string* why, const char* text) {
  if (why != nullptr) *why = text;
  return result;
}

}  // namespace

Status EncodeRecord(const JournalRecord& record, std::string* out) {
  const size_t header_at = out->size();
  out->append(kJournalRecordHeaderSize, '\0');
  const size_t payload_at = out->size();
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
  const size_t payload_size = out->size() - payload_at;
  if (payload_size > kMaxJournalPayloadSize) {
    out->resize(header_at);
    return Status::Error("ERR journal record for LSN " + std::to_string(record.lsn) + " has a " +
                         std::to_string(payload_size) + "-byte payload, above the limit of " +
                         std::to_string(kMaxJournalPayloadSize));
  }
  const uint32_t crc = Crc32c(0, out->data() + payload_at, payload_size);
  StoreLittleEndian32(static_cast<uint32_t>(payload_size), out->data() + header_at);
  StoreLittleEndian32(crc, out->data() + header_at + 4);
  return Status::Ok();
}

void AppendRecord(const JournalRecord& record, std::string* out) {
  if (Status status = EncodeRecord(record, out); !status.ok()) {
    std::fprintf(stderr, "tierkv: refusing to encode a journal record: %s\n",
                 status.message().c_str());
    std::abort();
  }
}

DecodeResult DecodeRecord(std::string_view in, JournalRecord* out, size_t* consumed,
                          std::string* why) {
  if (in.size() < kJournalRecordHeaderSize) {
    return Fail(DecodeResult::kIncomplete, why, "record header cut short");
  }
  const uint32_t payload_size = LoadLittleEndian32(in.data());
  const uint32_t stored_crc = LoadLittleEndian32(in.data() + 4);
  if (payload_size > kMaxJournalPayloadSize) {
    return Fail(DecodeResult::kCorrupt, why, "record length exceeds the maximum");
  }
  if (payload_size < kMinJournalPayloadSize) {
    return Fail(DecodeResult::kCorrupt, why, "record length below the minimum");
  }
  if (in.size() - kJournalRecordHeaderSize < payload_size) {
    return Fail(DecodeResult::kIncomplete, why, "record payload cut short");
  }
  const std::string_view payload = in.substr(kJournalRecordHeaderSize, payload_size);
  if (Crc32c(0, payload.data(), payload.size()) != stored_crc) {
    return Fail(DecodeResult::kCorrupt, why, "record checksum mismatch");
  }

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
  *consumed = kJournalRecordHeaderSize + payload_size;
  return DecodeResult::kOk;
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
