#include "engine/lazy_free.h"

#include <utility>

#include <sys/resource.h>
#include <unistd.h>

#include "engine/memory.h"
#include "engine/types/list/list_value.h"
#include "engine/types/stream/stream.h"

namespace tierkv {

size_t FreeEffort(const Entry& entry) {
  if (entry.type == ValueType::kString || entry.is_cold()) return 1;
  const ValueObject* object = entry.object();
  switch (object->encoding()) {
    case Encoding::kListpack:
    case Encoding::kIntset:
      return 1;  // one allocation whatever the length
    case Encoding::kQuicklist:
      return static_cast<const ListValue*>(object)->quicklist()->node_count();  // a listpack per node
    case Encoding::kStream:
      return static_cast<const Stream*>(object)->nodes().size();
    default:
      return object->Length();  // an allocation per element
  }
}

LazyFreer::LazyFreer() : thread_([this] { Run(); }) {}

LazyFreer::~LazyFreer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  ReclaimSlots();
}

bool LazyFreer::ShouldDefer(const Entry& entry, FreeReason reason, const LazyFreeOptions& options) {
  bool lazy = false;
  switch (reason) {
    case FreeReason::kUnlink:
      lazy = true;
      break;
    case FreeReason::kUserDel:
      lazy = options.user_del;
      break;
    case FreeReason::kServerDel:
      lazy = options.server_del;
      break;
    case FreeReason::kExpire:
      lazy = options.expire;
      break;
    case FreeReason::kEviction:
      lazy = options.eviction;
      break;
  }
  return lazy && FreeEffort(entry) > kLazyFreeThreshold;
}

void LazyFreer::FreeObject(std::unique_ptr<ValueObject> object) {
  Submit({.object = std::move(object), .objects = 1});
}

void LazyFreer::FreeDict(Dict dict) {
  const uint64_t keys = dict.size();
  Submit({.dict = std::make_unique<Dict>(std::move(dict)), .objects = keys});
}

void LazyFreer::Submit(Job job) {
  pending_.fetch_add(job.objects, std::memory_order_relaxed);
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void LazyFreer::Run() {
  // Freeing can always wait, answering clients cannot: at the lowest priority
  // this thread gives way whenever the engine thread shares its CPU.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
  // Its frees must lower used_memory at once, not at the next refresh: eviction would
  // otherwise evict for memory this thread already gave back.
  const MemoryAccountedThread accounted;
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and nothing left to free
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    lock.unlock();
    EntryAllocator::FreedSlots slots;
    job.object.reset();
    if (job.dict != nullptr) {
      // The entries' slab slots belong to the engine thread's allocator: they
      // are gathered here and handed back, never freed on this thread.
      job.dict->Clear([&slots](Entry* entry) {
        if (entry->type != ValueType::kString && !entry->is_cold()) delete entry->object();
        slots.Add(entry, entry->size_class);
      });
      job.dict.reset();
    }
    pending_.fetch_sub(job.objects, std::memory_order_relaxed);
    freed_.fetch_add(job.objects, std::memory_order_relaxed);
    lock.lock();
    if (!slots.empty()) returned_.push_back(std::move(slots));
    busy_ = false;
    if (jobs_.empty()) idle_.notify_all();
  }
}

void LazyFreer::ReclaimSlots() {
  std::vector<EntryAllocator::FreedSlots> returned;
  {
    std::lock_guard lock(mutex_);
    returned.swap(returned_);
  }
  for (EntryAllocator::FreedSlots& slots : returned) EntryAllocator::Reclaim(slots);
}

void LazyFreer::Drain() {
  {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return jobs_.empty() && !busy_; });
  }
  ReclaimSlots();
}

}  // namespace tierkv
