// LazyFreer: frees large values and whole emptied databases on a background
// thread, as Redis's lazy freeing, so that deleting a 10M-element hash or
// FLUSHALL ASYNC never stalls the engine thread.
//
// What goes to the thread: a collection value whose free effort exceeds
// kLazyFreeThreshold (Redis's LAZYFREE_THRESHOLD) when its deletion is lazy
// (UNLINK always; DEL, overwrites, expiry and eviction under the
// lazyfree-lazy-* parameters), and the whole table of a database emptied by
// FLUSHALL/FLUSHDB ASYNC. Entries themselves live in the engine thread's slab
// allocator: the thread collects their slots (EntryAllocator::FreedSlots) and
// the engine thread takes them back in its cron (ReclaimSlots), an O(size
// classes) splice.
//
// Counters are Redis's INFO fields: lazyfree_pending_objects (handed over, not
// yet freed) and lazyfreed_objects (freed by the thread since start).
//
// Thread-safety: Free*/ReclaimSlots are called from the engine thread only; the
// counters may be read from any thread. The destructor frees what is pending.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/dict.h"
#include "engine/entry.h"
#include "engine/entry_allocator.h"

namespace tierkv {

// Values freeing more than this many allocations are freed in the background.
constexpr size_t kLazyFreeThreshold = 64;

// Why a key's value is being freed; selects the lazyfree-lazy-* parameter.
enum class FreeReason : uint8_t {
  kUnlink,     // UNLINK: always lazy
  kUserDel,    // DEL: lazyfree-lazy-user-del
  kServerDel,  // implicit deletes and overwrites (SET over a key, RENAME...): lazyfree-lazy-server-del
  kExpire,     // lazy and active expiry: lazyfree-lazy-expire
  kEviction,   // maxmemory eviction: lazyfree-lazy-eviction
};

// The lazyfree-lazy-* parameters (all runtime, default no as in Redis).
struct LazyFreeOptions {
  bool user_del = false;     // lazyfree-lazy-user-del
  bool user_flush = false;   // lazyfree-lazy-user-flush: FLUSHALL/FLUSHDB without SYNC/ASYNC
  bool server_del = false;   // lazyfree-lazy-server-del
  bool expire = false;       // lazyfree-lazy-expire
  bool eviction = false;     // lazyfree-lazy-eviction
};

// Roughly how many allocations freeing the value takes (Redis's
// lazyfreeGetFreeEffort): 1 for strings and compact encodings, the node count
// of quicklists and streams, the element count for the others.
size_t FreeEffort(const Entry& entry);

class LazyFreer {
 public:
  LazyFreer();
  ~LazyFreer();
  LazyFreer(const LazyFreer&) = delete;
  LazyFreer& operator=(const LazyFreer&) = delete;

  // Whether freeing `entry` for `reason` should happen in the background.
  static bool ShouldDefer(const Entry& entry, FreeReason reason, const LazyFreeOptions& options);
  // Takes a value detached from its entry and frees it on the thread.
  void FreeObject(std::unique_ptr<ValueObject> object);
  // Takes a whole table (its entries included) and frees it on the thread.
  void FreeDict(Dict dict);
  // Engine thread: puts the entry slots freed by the thread back in the slab allocator.
  void ReclaimSlots();
  // Blocks until the thread has freed everything handed over (tests, shutdown).
  void Drain();

  uint64_t pending_objects() const { return pending_.load(std::memory_order_relaxed); }
  uint64_t freed_objects() const { return freed_.load(std::memory_order_relaxed); }
  // CONFIG RESETSTAT.
  void ResetFreedCount() { freed_.store(0, std::memory_order_relaxed); }

 private:
  struct Job {
    std::unique_ptr<ValueObject> object;
    std::unique_ptr<Dict> dict;
    uint64_t objects = 0;  // what pending_ counted for it
  };
  void Submit(Job job);
  void Run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Job> jobs_;
  bool busy_ = false;
  bool stopping_ = false;
  std::vector<EntryAllocator::FreedSlots> returned_;  // under mutex_
  std::atomic<uint64_t> pending_{0};
  std::atomic<uint64_t> freed_{0};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace tierkv
