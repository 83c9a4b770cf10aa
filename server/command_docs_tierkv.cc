// The COMMAND DOCS written by hand (format: server/command_docs.h): commands
// the reference redis-server 7.0 lacks, and commands whose docs Redis 7.2
// changed in ways tierkv implements. tools/command-docs/generate.py leaves
// every command named here out of server/generated/command_docs.cc, so each
// command is documented in one place only. Arguments are named as the
// generated docs name them (Redis 7.0's names).
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
client|list
  history 2.8.12 Added unique client `id` field.
  history 5.0.0 Added optional `TYPE` filter.
  history 6.0.0 Added `user` field.
  history 6.2.0 Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter.
  history 7.0.0 Added `resp`, `multi-mem`, `rbs` and `rbp` fields.
  history 7.0.3 Added `ssub` field.
  history 7.2.0 Added `lib-name` and `lib-ver` fields.
  arg normal_master_replica_pubsub oneof
    token TYPE
    since 5.0.0
    flags optional
    arg normal pure-token
      token NORMAL
    arg master pure-token
      token MASTER
    arg replica pure-token
      token REPLICA
    arg pubsub pure-token
      token PUBSUB
  arg id block
    token ID
    since 6.2.0
    flags optional
    arg client-id integer
      flags multiple

# Redis 7.2 deprecated QUIT.
quit
  doc_flags deprecated
  deprecated_since 7.2.0
  replaced_by just closing the connection

# Redis 7.2 added the consumers' inactive and active-time fields.
xinfo|consumers
  history 7.2.0 Added the `inactive` field, and changed the meaning of `idle`.
  arg key key
    key_spec_index 0
  arg groupname string
xinfo|stream
  history 6.0.0 Added the `FULL` modifier.
  history 7.0.0 Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields
  history 7.2.0 Added the `active-time` field, and changed the meaning of `seen-time`.
  arg key key
    key_spec_index 0
  arg full block
    token FULL
    flags optional
    arg count integer
      token COUNT
      flags optional

# Redis 7.2 added ZRANK and ZREVRANK's WITHSCORE.
zrank
  history 7.2.0 Added the optional `WITHSCORE` argument.
  arg key key
    key_spec_index 0
  arg member string
  arg withscore pure-token
    token WITHSCORE
    flags optional
zrevrank
  history 7.2.0 Added the optional `WITHSCORE` argument.
  arg key key
    key_spec_index 0
  arg member string
  arg withscore pure-token
    token WITHSCORE
    flags optional

# tierkv's own: the journal's form of XGROUP, key first.
tierkv.xgroup
  arg key key
    key_spec_index 0
  arg subcommand oneof
    arg create pure-token
      token CREATE
    arg setid pure-token
      token SETID
    arg destroy pure-token
      token DESTROY
    arg createconsumer pure-token
      token CREATECONSUMER
    arg delconsumer pure-token
      token DELCONSUMER
  arg arguments string
    flags optional multiple
)docs";
}

}  // namespace tierkv
