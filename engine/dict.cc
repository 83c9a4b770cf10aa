#include "engine/dict.h"

#include <bit>
#include <cstdlib>
#include <new>
#include <utility>

#include "engine/hash.h"

namespace tierkv {
namespace {

constexpr size_t kInitialBuckets = 16;
// Buckets examined per write while rehashing: two per insert keeps the move ahead
// of growth (the new table is full exactly when the old one has been emptied).
constexpr size_t kRehashStepPerWrite = 2;
// Empty buckets a step may skip before giving up, as Redis's empty_visits.
constexpr size_t kMaxEmptyVisitsPerBucket = 10;

Entry** AllocateBuckets(size_t count) {
  void* memory = std::calloc(count, sizeof(Entry*));
  if (memory == nullptr) throw std::bad_alloc();
  return static_cast<Entry**>(memory);
}

uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}

// Advances a reverse-binary cursor over the bits covered by `mask`.
uint64_t NextCursor(uint64_t cursor, uint64_t mask) {
  cursor |= ~mask;
  cursor = ReverseBits(cursor);
  ++cursor;
  return ReverseBits(cursor);
}

}  // namespace

Dict::~Dict() {
  std::free(table_[0].buckets);
  std::free(table_[1].buckets);
}

Dict::Dict(Dict&& other) noexcept { *this = std::move(other); }

Dict& Dict::operator=(Dict&& other) noexcept {
  if (this != &other) {
    std::free(table_[0].buckets);
    std::free(table_[1].buckets);
    table_[0] = std::exchange(other.table_[0], {});
    table_[1] = std::exchange(other.table_[1], {});
    rehash_index_ = std::exchange(other.rehash_index_, -1);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

Entry* Dict::Find(std::string_view key, uint64_t hash) const {
  for (int t = 0; t < 2; ++t) {
    const Table& table = table_[t];
    if (table.buckets == nullptr) continue;
    for (Entry* e = *Bucket(table, hash); e != nullptr; e = e->next) {
      if (e->key_len == key.size() && std::memcmp(e->key_data(), key.data(), key.size()) == 0) return e;
    }
    if (!rehashing()) break;
  }
  return nullptr;
}

Entry** Dict::FindLink(std::string_view key, uint64_t hash) {
  for (int t = 0; t < 2; ++t) {
    Table& table = table_[t];
    if (table.buckets == nullptr) continue;
    for (Entry** link = Bucket(table, hash); *link != nullptr; link = &(*link)->next) {
      Entry* e = *link;
      if (e->key_len == key.size() && std::memcmp(e->key_data(), key.data(), key.size()) == 0) return link;
    }
    if (!rehashing()) break;
  }
  return nullptr;
}

void Dict::Insert(Entry* entry, uint64_t hash) {
  if (table_[0].buckets == nullptr) {
    table_[0].buckets = AllocateBuckets(kInitialBuckets);
    table_[0].mask = kInitialBuckets - 1;
  }
  if (rehashing()) {
    RehashStep(kRehashStepPerWrite);
  } else if (size_ >= table_[0].mask + 1) {
    StartResize((table_[0].mask + 1) * 2);
  }
  // New entries go to the new table while rehashing, so the old one only drains.
  Table& target = rehashing() ? table_[1] : table_[0];
  Entry** bucket = Bucket(target, hash);
  entry->next = *bucket;
  *bucket = entry;
  ++target.used;
  ++size_;
}

Entry* Dict::Remove(std::string_view key, uint64_t hash) {
  if (rehashing()) RehashStep(kRehashStepPerWrite);
  for (int t = 0; t < 2; ++t) {
    Table& table = table_[t];
    if (table.buckets == nullptr) continue;
    for (Entry** link = Bucket(table, hash); *link != nullptr; link = &(*link)->next) {
      Entry* e = *link;
      if (e->key_len == key.size() && std::memcmp(e->key_data(), key.data(), key.size()) == 0) {
        *link = e->next;
        e->next = nullptr;
        --table.used;
        --size_;
        return e;
      }
    }
    if (!rehashing()) break;
  }
  return nullptr;
}

void Dict::StartResize(size_t new_bucket_count) {
  table_[1].buckets = AllocateBuckets(new_bucket_count);
  table_[1].mask = new_bucket_count - 1;
  table_[1].used = 0;
  rehash_index_ = 0;
}

bool Dict::RehashStep(size_t buckets) {
  if (!rehashing()) return false;
  size_t empty_visits = buckets * kMaxEmptyVisitsPerBucket;
  Table& from = table_[0];
  Table& to = table_[1];
  while (buckets-- > 0 && from.used > 0) {
    while (from.buckets[rehash_index_] == nullptr) {
      ++rehash_index_;
      if (--empty_visits == 0) return true;
    }
    Entry* e = from.buckets[rehash_index_];
    while (e != nullptr) {
      Entry* next = e->next;
      Entry** bucket = Bucket(to, HashKey(e->key()));
      e->next = *bucket;
      *bucket = e;
      --from.used;
      ++to.used;
      e = next;
    }
    from.buckets[rehash_index_] = nullptr;
    ++rehash_index_;
  }
  FinishRehashIfDone();
  return rehashing();
}

void Dict::FinishRehashIfDone() {
  if (table_[0].used != 0) return;
  std::free(table_[0].buckets);
  table_[0] = std::exchange(table_[1], {});
  rehash_index_ = -1;
}

void Dict::ShrinkIfSparse() {
  if (rehashing() || table_[0].buckets == nullptr) return;
  const size_t buckets = table_[0].mask + 1;
  // As Redis: shrink when under 10% full, to the next power of two >= size.
  if (buckets <= kInitialBuckets || size_ * 10 >= buckets) return;
  size_t target = std::bit_ceil(std::max(size_, kInitialBuckets));
  if (target < buckets) StartResize(target);
}

uint64_t Dict::Scan(uint64_t cursor, const std::function<void(const Entry*)>& visit) const {
  if (size_ == 0) return 0;
  auto visit_bucket = [&](const Table& t, uint64_t index) {
    for (const Entry* e = t.buckets[index & t.mask]; e != nullptr; e = e->next) visit(e);
  };
  if (!rehashing()) {
    const Table& t = table_[0];
    visit_bucket(t, cursor);
    return NextCursor(cursor, t.mask);
  }
  // Visit the bucket of the small table, then every bucket of the large table
  // that it expands to.
  const Table* small = &table_[0];
  const Table* large = &table_[1];
  if (small->mask > large->mask) std::swap(small, large);
  visit_bucket(*small, cursor);
  do {
    visit_bucket(*large, cursor);
    cursor = NextCursor(cursor, large->mask);
  } while (cursor & (small->mask ^ large->mask));
  return cursor;
}

Entry* Dict::Random(std::mt19937_64& rng) const {
  if (size_ == 0) return nullptr;
  // Probe random buckets; a chain found is sampled uniformly. Bounded probing,
  // then a deterministic walk, so a sparse table cannot spin for long.
  constexpr int kMaxProbes = 256;
  for (int probe = 0; probe < kMaxProbes; ++probe) {
    const Table& t = (rehashing() && (rng() & 1)) ? table_[1] : table_[0];
    if (t.buckets == nullptr || t.used == 0) continue;
    Entry* head = t.buckets[rng() & t.mask];
    if (head == nullptr) continue;
    size_t length = 0;
    for (Entry* e = head; e != nullptr; e = e->next) ++length;
    size_t pick = rng() % length;
    while (pick-- > 0) head = head->next;
    return head;
  }
  for (const Table& t : table_) {
    if (t.buckets == nullptr) continue;
    const uint64_t start = rng() & t.mask;
    for (uint64_t i = 0; i <= t.mask; ++i) {
      Entry* e = t.buckets[(start + i) & t.mask];
      if (e != nullptr) return e;
    }
  }
  return nullptr;
}

void Dict::ForEach(const std::function<void(Entry*)>& fn) const {
  for (const Table& t : table_) {
    if (t.buckets == nullptr) continue;
    for (uint64_t i = 0; i <= t.mask; ++i) {
      for (Entry* e = t.buckets[i]; e != nullptr;) {
        Entry* next = e->next;
        fn(e);
        e = next;
      }
    }
  }
}

void Dict::Clear(const std::function<void(Entry*)>& dispose) {
  ForEach(dispose);
  std::free(table_[0].buckets);
  std::free(table_[1].buckets);
  table_[0] = {};
  table_[1] = {};
  rehash_index_ = -1;
  size_ = 0;
}

}  // namespace tierkv
