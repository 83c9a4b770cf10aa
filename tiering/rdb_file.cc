// RDB file writer and reader. See rdb_file.h.
#include "tiering/rdb_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <limits>
#include <utility>

#include "engine/rdb/crc64.h"
#include "engine/rdb/rdb_object.h"
#include "tiering/file_io.h"

namespace tierkv {
namespace {

constexpr std::string_view kMagic = "REDIS";
constexpr size_t kHeaderSize = 9;  // "REDIS" + 4 version digits
// Checksums follow the EOF opcode from this version on (Redis 2.6).
constexpr uint16_t kFirstVersionWithChecksum = 5;
constexpr size_t kChecksumSize = 8;

// The writer hands the kernel at least this much at a time.
constexpr size_t kWriteBufferSize = 1 << 20;
// The reader gives back mapped pages it has passed in steps of this size.
constexpr size_t kReleaseStep = size_t{64} << 20;

// A key or aux name for a message: printable ASCII as is, other bytes as \xNN, cut at
// 64 bytes.
std::string Printable(std::string_view bytes) {
  constexpr size_t kMax = 64;
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[5];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    }
  }
  if (bytes.size() > kMax) out += "...";
  return out;
}

}  // namespace

// ---- RdbFileWriter ----

RdbFileWriter::RdbFileWriter(std::string path, RdbFileWriterOptions options)
    : path_(std::move(path)),
      temp_path_(path_ + ".tmp." + std::to_string(::getpid())),
      options_(std::move(options)) {}

RdbFileWriter::~RdbFileWriter() {
  if (!done_) Abandon();
}

void RdbFileWriter::Abandon() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(temp_path_.c_str());
  }
  done_ = true;
}

Status RdbFileWriter::Fail(Status status) {
  if (!error_) error_ = status;
  Abandon();
  return status;
}

Status RdbFileWriter::Write(std::string_view bytes) {
  if (bytes.size() < kWriteBufferSize) {
    buffer_.append(bytes);
    return buffer_.size() >= kWriteBufferSize ? Flush() : Status::Ok();
  }
  // A big value goes straight to the file rather than through a copy in the buffer.
  if (Status st = Flush(); !st.ok()) return st;
  crc_ = Crc64(crc_, bytes.data(), bytes.size());
  Status status = WriteAll(fd_, temp_path_, bytes);
  return status.ok() ? status : Fail(std::move(status));
}

Status RdbFileWriter::Flush() {
  crc_ = Crc64(crc_, buffer_.data(), buffer_.size());
  Status status = WriteAll(fd_, temp_path_, buffer_);
  buffer_.clear();
  return status.ok() ? status : Fail(std::move(status));
}

Status RdbFileWriter::Begin() {
  if (error_) return *error_;
  if (begun_ || done_) return Status::Error("ERR rdb file writer: Begin called twice");
  begun_ = true;
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) return Fail(OsError(temp_path_, "open", errno));

  std::string header;
  RdbWriter writer(&header, options_.rdb);
  char version[5];
  std::snprintf(version, sizeof(version), "%04u", static_cast<unsigned>(kRdbVersion));
  writer.WriteBytes(kMagic);
  writer.WriteBytes(version);
  // The aux fields Redis 7.0 writes for a SAVE, in its order.
  const int64_t ctime = options_.ctime != 0 ? options_.ctime : static_cast<int64_t>(std::time(nullptr));
  auto aux = [&writer](std::string_view name, std::string_view value) {
    writer.WriteByte(kRdbOpcodeAux);
    writer.WriteString(name);
    writer.WriteString(value);
  };
  aux("redis-ver", options_.redis_version);
  aux("redis-bits", std::to_string(sizeof(void*) * 8));
  aux("ctime", std::to_string(ctime));
  aux("used-mem", std::to_string(options_.used_mem));
  aux("aof-base", "0");
  return Write(header);
}

Status RdbFileWriter::AddFunctionLibrary(std::string_view code) {
  if (error_) return *error_;
  if (!begun_ || done_ || in_db_) return Status::Error("ERR rdb file writer: AddFunctionLibrary outside Begin..SelectDb");
  std::string record;
  RdbWriter writer(&record, options_.rdb);
  writer.WriteByte(kRdbOpcodeFunction2);
  writer.WriteString(code);
  return Write(record);
}

Status RdbFileWriter::SelectDb(uint32_t db, uint64_t keys, uint64_t expires) {
  if (error_) return *error_;
  if (!begun_ || done_) return Status::Error("ERR rdb file writer: SelectDb outside Begin..Finish");
  in_db_ = true;
  std::string record;
  RdbWriter writer(&record, options_.rdb);
  writer.WriteByte(kRdbOpcodeSelectDb);
  writer.WriteLength(db);
  writer.WriteByte(kRdbOpcodeResizeDb);
  writer.WriteLength(keys);
  writer.WriteLength(expires);
  return Write(record);
}

Status RdbFileWriter::Add(std::string_view key, int64_t expire_at_ms, std::string_view object) {
  if (error_) return *error_;
  if (!in_db_ || done_) return Status::Error("ERR rdb file writer: Add outside SelectDb..Finish");
  if (expire_at_ms < 0 && expire_at_ms != kNoExpire) {
    return Status::Error("ERR rdb file writer: negative expire time for key '" + Printable(key) + "'");
  }
  // Check the object before it reaches the file: a file Redis refuses to load is worse
  // than an export that stops here.
  RdbReader check(object);
  Result<uint8_t> type = check.ReadByte();
  if (!type.ok() || !IsRdbObjectType(*type)) {
    return Status::Corruption("rdb file writer: key '" + Printable(key) + "': not a serialized object");
  }
  if (Status st = SkipRdbValue(check, *type); !st.ok() || !check.at_end()) {
    return Status::Corruption("rdb file writer: key '" + Printable(key) + "': damaged " +
                              std::string(RdbTypeName(*type)) + " object" +
                              (st.ok() ? ": trailing bytes" : ": " + st.message()));
  }

  std::string record;
  RdbWriter writer(&record, options_.rdb);
  if (expire_at_ms != kNoExpire) {
    writer.WriteByte(kRdbOpcodeExpireTimeMs);
    writer.WriteUint64LE(static_cast<uint64_t>(expire_at_ms));
  }
  writer.WriteByte(*type);
  writer.WriteString(key);
  if (Status st = Write(record); !st.ok()) return st;
  if (Status st = Write(object.substr(1)); !st.ok()) return st;
  ++keys_written_;
  return Status::Ok();
}

Status RdbFileWriter::Finish() {
  if (error_) return *error_;
  if (!begun_ || done_) return Status::Error("ERR rdb file writer: Finish without Begin, or twice");
  const char eof = static_cast<char>(kRdbOpcodeEof);
  buffer_.push_back(eof);
  if (Status st = Flush(); !st.ok()) return st;
  std::string checksum;
  RdbWriter(&checksum).WriteUint64LE(crc_);
  if (Status st = WriteAll(fd_, temp_path_, checksum); !st.ok()) return Fail(std::move(st));
  Status replaced = ReplaceWithTemporary(FileDescriptor(std::exchange(fd_, -1)), temp_path_, path_, options_.sync);
  if (!replaced.ok()) return Fail(std::move(replaced));
  done_ = true;
  return Status::Ok();
}

// ---- Reading ----

std::string RdbFileEntry::ObjectBytes() const {
  std::string object;
  object.reserve(1 + value.size());
  object.push_back(static_cast<char>(type));
  object.append(value);
  return object;
}

namespace {

// One pass over a whole RDB image in memory. `release(offset)` is told, now and then,
// that nothing before `offset` will be read again.
class RdbParser {
 public:
  RdbParser(std::string_view data, std::string_view name, const RdbFileVisitor& visit,
            std::function<void(size_t)> release)
      : data_(data), name_(name), visit_(visit), release_(std::move(release)), reader_(data) {}

  Result<RdbFileSummary> Run() {
    summary_.bytes = data_.size();
    if (Status st = ReadHeader(); !st.ok()) return st;
    while (true) {
      const size_t record_offset = reader_.position();
      Result<uint8_t> op = reader_.ReadByte();
      if (!op.ok()) return Damaged(op.status(), "reading the next record");
      if (*op == kRdbOpcodeEof) break;
      if (Status st = ReadRecord(*op, record_offset); !st.ok()) return st;
      Advance();
    }
    Advance();  // the EOF opcode is under the checksum
    if (Status st = ReadChecksum(); !st.ok()) return st;
    if (!reader_.at_end()) {
      return Corrupt(reader_.position(),
                     std::to_string(reader_.remaining()) + " bytes after the end of the RDB data");
    }
    return std::move(summary_);
  }

 private:
  Status Corrupt(size_t offset, const std::string& what) const {
    return Status::Corruption(std::string(name_) + ": offset " + std::to_string(offset) + ": " + what);
  }

  // A failure from the primitives, at the reader's position, with what we were doing.
  Status Damaged(const Status& status, const std::string& context) const {
    std::string_view inner = status.message();
    if (inner.starts_with("rdb: ")) inner.remove_prefix(5);
    return Corrupt(reader_.position(), context + ": " + std::string(inner));
  }

  Status ReadHeader() {
    if (!kMagic.starts_with(data_.substr(0, kMagic.size()))) {
      return Corrupt(0, "not an RDB file (no \"REDIS\" signature)");
    }
    if (data_.size() < kHeaderSize) {
      return Corrupt(data_.size(), data_.empty() ? "empty file" : "file ends inside the header");
    }
    const std::string_view header = data_.substr(0, kHeaderSize);
    uint16_t version = 0;
    for (char c : header.substr(kMagic.size())) {
      if (c < '0' || c > '9') return Corrupt(kMagic.size(), "RDB version is not 4 digits");
      version = static_cast<uint16_t>(version * 10 + (c - '0'));
    }
    if (version < kRdbMinReadVersion || version > kRdbMaxReadVersion) {
      return Corrupt(kMagic.size(), "unsupported RDB version " + std::to_string(version) + " (readable: " +
                                        std::to_string(kRdbMinReadVersion) + ".." +
                                        std::to_string(kRdbMaxReadVersion) + ")");
    }
    summary_.version = version;
    Result<std::string_view> skipped = reader_.ReadBytes(kHeaderSize);
    (void)skipped;  // size checked above
    return Status::Ok();
  }

  // Extends the checksum over what has been parsed and lets the caller drop it.
  void Advance() {
    const size_t pos = reader_.position();
    crc_ = Crc64(crc_, data_.data() + crc_offset_, pos - crc_offset_);
    crc_offset_ = pos;
    if (release_ && pos - released_ >= kReleaseStep) {
      release_(pos);
      released_ = pos;
    }
  }

  Status ReadChecksum() {
    if (summary_.version < kFirstVersionWithChecksum) return Status::Ok();
    const size_t offset = reader_.position();
    Result<uint64_t> stored = reader_.ReadUint64LE();
    if (!stored.ok()) return Corrupt(offset, "file ends inside the checksum");
    if (*stored == 0) return Status::Ok();  // saved with rdbchecksum no
    if (*stored != crc_) {
      char text[80];
      std::snprintf(text, sizeof(text), "checksum mismatch: file has %016llx, data gives %016llx",
                    static_cast<unsigned long long>(*stored), static_cast<unsigned long long>(crc_));
      return Corrupt(offset, text);
    }
    summary_.checksum_verified = true;
    return Status::Ok();
  }

  Status ReadRecord(uint8_t op, size_t record_offset) {
    switch (op) {
      case kRdbOpcodeExpireTimeMs: {
        Result<uint64_t> ms = reader_.ReadUint64LE();
        if (!ms.ok()) return Damaged(ms.status(), "expire time (ms)");
        pending_expire_ = std::max<int64_t>(0, static_cast<int64_t>(*ms));
        MarkKeyStart(record_offset);
        return Status::Ok();
      }
      case kRdbOpcodeExpireTime: {
        Result<std::string_view> bytes = reader_.ReadBytes(4);
        if (!bytes.ok()) return Damaged(bytes.status(), "expire time (s)");
        uint32_t bits = 0;
        for (int i = 3; i >= 0; --i) bits = (bits << 8) | static_cast<uint8_t>((*bytes)[i]);
        pending_expire_ = std::max<int64_t>(0, int64_t{static_cast<int32_t>(bits)} * 1000);
        MarkKeyStart(record_offset);
        return Status::Ok();
      }
      case kRdbOpcodeIdle: {
        Result<uint64_t> idle = reader_.ReadLength();
        if (!idle.ok()) return Damaged(idle.status(), "LRU idle time");
        pending_idle_ = *idle;
        MarkKeyStart(record_offset);
        return Status::Ok();
      }
      case kRdbOpcodeFreq: {
        Result<uint8_t> freq = reader_.ReadByte();
        if (!freq.ok()) return Damaged(freq.status(), "LFU frequency");
        pending_freq_ = *freq;
        MarkKeyStart(record_offset);
        return Status::Ok();
      }
      case kRdbOpcodeSelectDb: {
        Result<uint64_t> db = reader_.ReadLength();
        if (!db.ok()) return Damaged(db.status(), "SELECTDB");
        if (*db > std::numeric_limits<uint32_t>::max()) return Corrupt(record_offset, "SELECTDB " + std::to_string(*db) + " is out of range");
        db_ = static_cast<uint32_t>(*db);
        return Status::Ok();
      }
      case kRdbOpcodeResizeDb: {
        for (const char* what : {"RESIZEDB key count", "RESIZEDB expire count"}) {
          Result<uint64_t> count = reader_.ReadLength();
          if (!count.ok()) return Damaged(count.status(), what);
        }
        return Status::Ok();
      }
      case kRdbOpcodeAux: {
        Result<std::string> name = reader_.ReadString();
        if (!name.ok()) return Damaged(name.status(), "aux field name");
        Result<std::string> value = reader_.ReadString();
        if (!value.ok()) return Damaged(value.status(), "aux field '" + Printable(*name) + "'");
        summary_.aux.emplace_back(std::move(*name), std::move(*value));
        return Status::Ok();
      }
      case kRdbOpcodeModuleAux:
        return SkipModuleAux(record_offset);
      case kRdbOpcodeFunction2: {
        Result<std::string> code = reader_.ReadString();
        if (!code.ok()) return Damaged(code.status(), "function library");
        summary_.function_libraries.push_back(std::move(*code));
        ++summary_.functions_skipped;
        return Status::Ok();
      }
      case kRdbOpcodeFunctionPreGa:
        return SkipPreGaFunction();
      default:
        if (IsRdbObjectType(op)) return ReadKey(op, record_offset);
        return Corrupt(record_offset, "unknown record type " + std::to_string(op));
    }
  }

  // Expire, IDLE and FREQ opcodes belong to the key that follows; its entry's offset is
  // that of the first of them.
  void MarkKeyStart(size_t record_offset) {
    if (!pending_offset_) pending_offset_ = record_offset;
  }

  // <module id> <when opcode: UINT> <when> <module data>
  Status SkipModuleAux(size_t record_offset) {
    Result<uint64_t> module_id = reader_.ReadLength();
    if (!module_id.ok()) return Damaged(module_id.status(), "module aux: module id");
    Result<uint64_t> when_opcode = reader_.ReadLength();
    if (!when_opcode.ok()) return Damaged(when_opcode.status(), "module aux");
    if (*when_opcode != kRdbModuleOpcodeUint) return Corrupt(record_offset, "module aux: bad 'when' opcode");
    Result<uint64_t> when = reader_.ReadLength();
    if (!when.ok()) return Damaged(when.status(), "module aux");
    if (Status st = SkipRdbModuleData(reader_); !st.ok()) return Damaged(st, "module aux data");
    ++summary_.module_aux_skipped;
    return Status::Ok();
  }

  // Redis 7.0 release candidates: <name> <engine> <has description> [<description>] <code>
  Status SkipPreGaFunction() {
    for (int i = 0; i < 2; ++i) {
      if (Status st = reader_.SkipString(); !st.ok()) return Damaged(st, "function library (pre-GA)");
    }
    Result<uint64_t> has_description = reader_.ReadLength();
    if (!has_description.ok()) return Damaged(has_description.status(), "function library (pre-GA)");
    for (int i = 0; i < (*has_description ? 2 : 1); ++i) {
      if (Status st = reader_.SkipString(); !st.ok()) return Damaged(st, "function library (pre-GA)");
    }
    ++summary_.functions_skipped;
    return Status::Ok();
  }

  Status ReadKey(uint8_t type, size_t record_offset) {
    RdbFileEntry entry;
    entry.db = db_;
    entry.type = type;
    entry.offset = pending_offset_.value_or(record_offset);
    entry.expire_at_ms = pending_expire_;
    entry.idle_seconds = pending_idle_;
    entry.lfu_freq = pending_freq_;
    pending_offset_.reset();
    pending_expire_ = kNoExpire;
    pending_idle_.reset();
    pending_freq_.reset();

    Result<std::string> key = reader_.ReadString();
    if (!key.ok()) return Damaged(key.status(), "key of a " + std::string(RdbTypeName(type)) + " value");
    entry.key = std::move(*key);
    const size_t value_offset = reader_.position();
    if (Status st = SkipRdbValue(reader_, type); !st.ok()) {
      return Damaged(st, "value of key '" + Printable(entry.key) + "' (" + std::string(RdbTypeName(type)) +
                             ", starting at offset " + std::to_string(value_offset) + ")");
    }
    entry.value = data_.substr(value_offset, reader_.position() - value_offset);
    ++summary_.keys;
    ++summary_.keys_by_type[type];
    return visit_ ? visit_(entry) : Status::Ok();
  }

  std::string_view data_;
  std::string_view name_;
  const RdbFileVisitor& visit_;
  std::function<void(size_t)> release_;
  RdbReader reader_;
  RdbFileSummary summary_;
  uint64_t crc_ = 0;
  size_t crc_offset_ = 0;
  size_t released_ = 0;
  uint32_t db_ = 0;
  // Attributes set by opcodes before a key's type byte, for that key.
  std::optional<size_t> pending_offset_;
  int64_t pending_expire_ = kNoExpire;
  std::optional<uint64_t> pending_idle_;
  std::optional<uint8_t> pending_freq_;
};

// A read-only private mapping of a whole file, unmapped on destruction.
class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile() {
    if (base_ != nullptr) ::munmap(base_, size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  Status Open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return OsError(path, "open", errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      Status status = OsError(path, "fstat", errno);
      ::close(fd);
      return status;
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* base = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (base == MAP_FAILED) {
        Status status = OsError(path, "mmap", errno);
        ::close(fd);
        return status;
      }
      base_ = base;
      ::madvise(base_, size_, MADV_SEQUENTIAL);  // a hint: failure changes nothing
    }
    ::close(fd);  // the mapping keeps the file
    return Status::Ok();
  }

  std::string_view bytes() const { return {static_cast<const char*>(base_), size_}; }

  // Drops the pages wholly before `offset` from memory; they are not read again.
  void ReleaseBefore(size_t offset) {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t end = offset / page * page;
    if (end > released_) {
      ::madvise(static_cast<char*>(base_) + released_, end - released_, MADV_DONTNEED);
      released_ = end;
    }
  }

 private:
  void* base_ = nullptr;
  size_t size_ = 0;
  size_t released_ = 0;
};

}  // namespace

Result<RdbFileSummary> ReadRdbBuffer(std::string_view rdb, const RdbFileVisitor& visit, std::string_view name) {
  return RdbParser(rdb, name, visit, nullptr).Run();
}

Result<RdbFileSummary> ReadRdbFile(const std::string& path, const RdbFileVisitor& visit) {
  MappedFile file;
  if (Status st = file.Open(path); !st.ok()) return st;
  return RdbParser(file.bytes(), path, visit, [&file](size_t offset) { file.ReleaseBefore(offset); }).Run();
}

}  // namespace tierkv
