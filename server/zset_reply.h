// The reply ZMPOP and BZMPOP share: [key, [[member, score], ...]].
//
// Thread-safety: writes to the caller's ReplyWriter.
#pragma once

#include "engine/types/zset/zset_ops.h"
#include "server/reply_writer.h"

namespace tierkv {

inline void ReplyZMPop(ReplyWriter& reply, const ZMPopResult& result) {
  reply.Array(2);
  reply.Bulk(result.key);
  reply.Array(result.popped.size());
  for (const ScoredMember& item : result.popped) {
    reply.Array(2);
    reply.Bulk(item.member);
    reply.Double(item.score);
  }
}

}  // namespace tierkv
