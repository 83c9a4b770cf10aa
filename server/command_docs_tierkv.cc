// The COMMAND DOCS written by hand (format: server/command_docs.h): commands
// the reference redis-server 7.0 lacks, documented whole (so
// tools/command-docs/generate.py leaves them out of
// server/generated/command_docs.cc), and, as "+name" additions to the
// generated docs, what Redis 7.2 added for behaviour tierkv implements.
// Arguments are named as the generated docs name them (Redis 7.0's names).
#include "server/command_docs.h"

namespace tierkv {

std::string_view HandWrittenCommandDocs() {
  return R"docs(
# New in Redis 7.2.
client|no-touch
  arg enabled oneof
    arg on pure-token
      token ON
    arg off pure-token
      token OFF
client|setinfo
  arg attr oneof
    arg libname string
      token lib-name
    arg libver string
      token lib-ver

# Redis 7.2 added CLIENT LIST's lib-name and lib-ver fields.
+client|list
  history 7.2.0 Added `lib-name` and `lib-ver` fields.

# Redis 7.2 deprecated QUIT.
+quit
  doc_flags deprecated
  deprecated_since 7.2.0
  replaced_by just closing the connection

# Redis 7.2 added the consumers' inactive and active-time fields.
+xinfo|consumers
  history 7.2.0 Added the `inactive` field, and changed the meaning of `idle`.
+xinfo|stream
  history 7.2.0 Added the `active-time` field, and changed the meaning of `seen-time`.

# Redis 7.2 added ZRANK and ZREVRANK's WITHSCORE.
+zrank
  history 7.2.0 Added the optional `WITHSCORE` argument.
  arg withscore pure-token
    token WITHSCORE
    flags optional
+zrevrank
  history 7.2.0 Added the optional `WITHSCORE` argument.
  arg withscore pure-token
    token WITHSCORE
    flags optional
)docs";
}

}  // namespace tierkv
