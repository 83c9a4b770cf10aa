// A thin RAII layer over PMDK's libpmemobj C API (Debian ships no C++ bindings): a pool
// handle that closes itself, and a transaction scope whose failures come back as a
// Status.
//
// libpmemobj's TX_BEGIN macros setjmp and, on an abort, longjmp out of the block, past
// the destructors of everything in it. PmemTransaction never gives the library a jmp_buf
// and sets POBJ_TX_FAILURE_RETURN, so an allocation that finds the pool full returns
// OID_NULL (and aborts the transaction) instead of jumping: the caller sees a Status and
// unwinds normally. Whatever the transaction changed is rolled back by libpmemobj's undo
// log, at once on an abort and at the next open after a crash.
//
// Thread-safety: a pool may be used from several threads; a transaction belongs to the
// thread that began it (libpmemobj keeps it in thread-local state), and one thread runs
// one at a time (no nesting here).
#pragma once

#include <libpmemobj.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/status.h"

namespace tierkv {

class PmemPool {
 public:
  // Opens the pool at `path`, checking its layout name; with `create_size` > 0 creates it
  // (that size, in bytes) when the file does not exist. A pool of another layout is
  // refused with a message naming both layouts.
  static Result<std::unique_ptr<PmemPool>> OpenOrCreate(const std::string& path, std::string_view layout,
                                                       uint64_t create_size);
  ~PmemPool();
  PmemPool(const PmemPool&) = delete;
  PmemPool& operator=(const PmemPool&) = delete;

  PMEMobjpool* get() const { return pool_; }
  const std::string& path() const { return path_; }
  // Size of the pool file (its capacity).
  uint64_t size() const { return size_; }
  bool created() const { return created_; }

  // The root object, at least `size` bytes (zeroed when first allocated).
  Result<PMEMoid> Root(size_t size);

 private:
  PmemPool(PMEMobjpool* pool, std::string path, uint64_t size, bool created)
      : pool_(pool), path_(std::move(path)), size_(size), created_(created) {}
  PMEMobjpool* pool_;
  const std::string path_;
  const uint64_t size_;
  const bool created_;
};

// One transaction on `pool`: Begin, then changes (Alloc, Free, Snapshot before writing
// into an existing object), then Commit. Destroyed without a successful Commit, it
// aborts: nothing it changed remains.
class PmemTransaction {
 public:
  explicit PmemTransaction(PMEMobjpool* pool) : pool_(pool) {}
  ~PmemTransaction();
  PmemTransaction(const PmemTransaction&) = delete;
  PmemTransaction& operator=(const PmemTransaction&) = delete;

  Status Begin();
  // A new object of `size` bytes and type number `type`, its contents written by the
  // caller before Commit (which flushes them). OID_NULL-free: a failure (the pool is
  // full) aborts the transaction and is returned.
  Result<PMEMoid> Alloc(size_t size, uint64_t type);
  // Frees `oid` at commit (nothing if OID_NULL).
  Status Free(PMEMoid oid);
  // Saves [ptr, ptr + size) of an existing object to the undo log, before the caller
  // writes there.
  Status Snapshot(const void* ptr, size_t size);
  // Gives the transaction [buffer, buffer + size) of pool memory as intent (redo) log space,
  // so that its frees and allocations need no log extension allocated from the pool.
  Status AppendIntentLog(void* buffer, size_t size);
  // Ends the transaction, durably.
  Status Commit();
  // Aborts now (test hook and error paths): everything is rolled back.
  void Abort(int error);

 private:
  // The status of a failed call, after aborting the transaction if the library has not.
  Status Failed(const char* what, int error);
  PMEMobjpool* pool_;
  bool begun_ = false;
  bool ended_ = false;
};

// The Status for a libpmemobj failure with `error` (errno), naming `what` and the
// library's own message.
Status PmemError(std::string_view what, int error);
// A PmemError for ENOMEM: the pool has no room left.
bool IsPoolFull(const Status& status);

}  // namespace tierkv
