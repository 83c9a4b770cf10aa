// EntryAllocator: memory for Entries, in 8-byte size steps.
//
// jemalloc rounds a 148-byte entry (16-byte key, 100-byte value) up to its
// 160-byte class; across millions of small keys that rounding is 5-10% of the
// dataset. Entries up to kMaxSlabBytes are therefore carved from 64 KiB slabs
// (themselves allocated from jemalloc, so used_memory still counts them) with
// one free list per 8-byte class. Larger entries go straight to malloc.
// Freed slots are reused by the next entry of the same class; slabs are not
// returned to the allocator (as with any slab scheme, a dataset that shrinks
// keeps its peak slab footprint until restart).
//
// The sanitizer build uses plain malloc for every entry so that ASan sees
// each one as its own allocation.
//
// Thread-safety: one allocator per engine thread (thread_local). Entries must be
// freed on the thread that allocated them, which the engine's threading model
// guarantees (only the engine thread owns the keyspace); the lazy-freeing
// thread gathers slots in FreedSlots and hands them back instead.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace tierkv {

class EntryAllocator {
 public:
  static constexpr size_t kGranularity = 8;
  static constexpr size_t kMaxSlabBytes = 512;
  static constexpr uint8_t kMallocClass = 0;

  // Allocates at least `bytes`; `*size_class` records how, for Free and Capacity.
  static void* Allocate(size_t bytes, uint8_t* size_class);
  static void Free(void* memory, uint8_t size_class);
  // Usable bytes of an allocation.
  static size_t Capacity(const void* memory, uint8_t size_class);
  // Bytes held in slabs (used and free), for INFO memory.
  static size_t SlabBytes();

  // Entries freed on another thread (lazy freeing): their slab slots are
  // gathered here, chained per size class, and handed back whole to the
  // owner thread, which splices each chain onto its free list (Reclaim).
  // Malloc-class entries are freed at once: malloc is thread-safe.
  class FreedSlots {
   public:
    void Add(void* memory, uint8_t size_class);
    bool empty() const { return count_ == 0; }

   private:
    friend class EntryAllocator;
    struct Chain {
      void* head = nullptr;
      void* tail = nullptr;
    };
    std::array<Chain, kMaxSlabBytes / kGranularity + 1> chains_{};
    size_t count_ = 0;
  };
  // Owner thread only: takes the slots back.
  static void Reclaim(FreedSlots& slots);
};

}  // namespace tierkv
