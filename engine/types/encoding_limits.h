// EncodingLimits: when a collection moves from its compact contiguous encoding
// (listpack, intset) to its scalable one (hashtable, skiplist, quicklist nodes), with
// Redis 7.2's config names and defaults. A collection converts once either limit is
// passed and never converts back (as Redis), except that a list shrinks back into one
// listpack node.
//
// Thread-safety: a plain value; the server's config writes the Shard's copy on the
// engine thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tierkv {

struct EncodingLimits {
  size_t hash_max_listpack_entries = 512;  // hash-max-listpack-entries (runtime)
  size_t hash_max_listpack_value = 64;     // hash-max-listpack-value, bytes (runtime)
  size_t set_max_intset_entries = 512;     // set-max-intset-entries (runtime)
  size_t set_max_listpack_entries = 128;   // set-max-listpack-entries (runtime, Redis 7.2)
  size_t set_max_listpack_value = 64;      // set-max-listpack-value, bytes (runtime, Redis 7.2)
  size_t zset_max_listpack_entries = 128;  // zset-max-listpack-entries (runtime)
  size_t zset_max_listpack_value = 64;     // zset-max-listpack-value, bytes (runtime)
  // list-max-listpack-size (runtime): > 0 = entries per quicklist node; -1..-5 = node
  // size limit of 4, 8, 16, 32, 64 KiB.
  int64_t list_max_listpack_size = -2;
  // DEBUG QUICKLIST-PACKED-THRESHOLD (runtime, not a config parameter): list elements of
  // at least this many bytes get a plain node; 0 = Redis's default rule.
  size_t list_packed_threshold = 0;
  size_t stream_node_max_bytes = 4096;     // stream-node-max-bytes (runtime)
  int64_t stream_node_max_entries = 100;   // stream-node-max-entries (runtime)
  size_t hll_sparse_max_bytes = 3000;      // hll-sparse-max-bytes (runtime)
};

}  // namespace tierkv
