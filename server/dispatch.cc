// Server::Execute: the path of every command from parsed arguments to handler.
#include <algorithm>
#include <chrono>

#include "engine/memory.h"
#include "server/command_args.h"
#include "server/command_context.h"
#include "server/connection.h"
#include "server/error_reply.h"
#include "server/key_specs.h"
#include "server/scripting/script_engine.h"
#include "server/server.h"

namespace tierkv {
namespace {

// Redis's text for writes refused after a failed background save.
constexpr std::string_view kRoundErrorRefusal =
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "
    "Commands that may modify the data set are disabled, because this instance is configured to report "
    "errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check "
    "the Redis logs for details about the RDB error.";

std::string UnknownCommandError(std::span<const std::string_view> args) {
  std::string text = "ERR unknown command '";
  text.append(args[0].substr(0, 128));
  text.append("', with args beginning with: ");
  const size_t listed_start = text.size();
  for (size_t i = 1; i < args.size() && text.size() - listed_start < 128; ++i) {
    text.push_back('\'');
    text.append(args[i].substr(0, 128 - (text.size() - listed_start - 1)));
    text.append("' ");
  }
  return text;
}

// A command with one of `flags`, or an EXEC whose queue holds one (Redis judges EXEC by
// what it will run).
bool HasFlags(const CommandSpec& spec, const Client& client, const CommandTable& commands, uint32_t flags) {
  if (spec.flags & flags) return true;
  if (spec.name != "exec") return false;
  return std::any_of(client.queued.begin(), client.queued.end(), [&](const std::vector<std::string>& queued) {
    const CommandSpec* command = commands.Find(queued[0]);
    return command != nullptr && (command->flags & flags);
  });
}

bool IsWrite(const CommandSpec& spec, const Client& client, const CommandTable& commands) {
  return HasFlags(spec, client, commands, kCmdWrite);
}

bool AllowedWhileSubscribed(const CommandSpec& spec, const CommandSpec* parent) {
  if (parent != nullptr) return false;
  static constexpr std::string_view kAllowed[] = {"subscribe",  "unsubscribe",  "psubscribe", "punsubscribe",
                                                  "ssubscribe", "sunsubscribe", "ping",       "quit",
                                                  "reset"};
  return std::find(std::begin(kAllowed), std::end(kAllowed), spec.name) != std::end(kAllowed);
}

}  // namespace

void Server::Execute(Client& client, std::span<const std::string_view> args) {
  const size_t reply_start = client.output.size();
  ++execute_depth_;
  if (execute_depth_ == 1) tracking_.BeginCommand(client);
  const bool ran = RunCommand(client, args);
  --execute_depth_;
  // One journal record per top-level command: EXEC's queued commands share one.
  if (execute_depth_ == 0) {
    // Redis keeps CLIENT CACHING's choice across any CLIENT subcommand.
    tracking_.EndCommand(client, IsOption(args[0], "client"));
    CommitChanges(&client);
    NoteCommandRan(client);
    if (shard_.demoting() && !clients_paused()) (void)EnforceMaxmemory();
  }
  // Each command EXEC runs holds the client for what it read, as a command on its own does.
  if (ran) HoldReadsOfUndurableWrites(client, args);
  // A command postponed by CLIENT PAUSE runs again later: its CLIENT REPLY mode waits too.
  if (client.postponed) return;
  // CLIENT REPLY OFF|SKIP drops replies; only at the top level, so that the
  // commands EXEC runs keep their place in EXEC's reply array.
  if (execute_depth_ == 0 && blocking_.has_ready_keys()) blocking_.ServeReady();
  if (execute_depth_ > 0 || client.reply_mode == Client::ReplyMode::kOn) return;
  switch (client.reply_mode) {
    case Client::ReplyMode::kOff:
      client.output.resize(reply_start);
      break;
    case Client::ReplyMode::kSkip:
      client.output.resize(reply_start);
      client.reply_mode = Client::ReplyMode::kOn;
      break;
    case Client::ReplyMode::kSkipNext:  // this was CLIENT REPLY SKIP: skip the next one
      client.reply_mode = Client::ReplyMode::kSkip;
      break;
    case Client::ReplyMode::kOn:
      break;
  }
}

void Server::RefuseCommand(Client& client, const CommandSpec* spec, const std::string& error) {
  client.reply.Error(error);
  client.errors_accounted = client.reply.errors_written();
  ++stats_.total_error_replies;
  info_.RecordError(error);
  if (spec != nullptr) ++spec->stats.rejected_calls;
}

bool Server::RunCommand(Client& client, std::span<const std::string_view> args) {
  ReplyWriter& reply = client.reply;
  // A script's commands all see the time its EVAL started, as in Redis: a key cannot
  // expire between two of them (nor while other clients are answered BUSY meanwhile).
  if (!scripting_->running()) shard_.set_now_ms(Shard::WallClockMs());

  const CommandSpec* spec = nullptr;
  // Every refusal before the command runs also dooms an open MULTI, as in Redis; a
  // refused EXEC ends it at once, so the client knows it is out of MULTI.
  auto reject = [&](const std::string& error) {
    const bool refused_exec = client.in_multi && spec != nullptr && spec->name == "exec";
    // Redis quotes the reason without its ERR prefix: "...because of: wrong number of ...".
    const std::string reason = error.rfind("ERR ", 0) == 0 ? error.substr(4) : error;
    RefuseCommand(client, spec, refused_exec ? "EXECABORT Transaction discarded because of: " + reason : error);
    if (refused_exec) {
      EndTransaction(client, watches_);
    } else if (client.in_multi) {
      client.multi_aborted = true;
    }
    return false;
  };

  spec = commands_->Find(args[0]);
  if (spec == nullptr) return reject(UnknownCommandError(args));
  if (!ArityMatches(spec->arity, args.size())) return reject(WrongArgCountError(spec->name));
  const CommandSpec* parent = nullptr;
  // A container runs its own handler when called alone (COMMAND); otherwise
  // args[1] names the subcommand.
  if (!spec->subcommands.empty() && (args.size() >= 2 || spec->handler == nullptr)) {
    const CommandSpec* sub = args.size() >= 2 ? CommandTable::FindSubcommand(*spec, args[1]) : nullptr;
    if (sub == nullptr) {
      if (args.size() < 2) return reject(WrongArgCountError(spec->name));
      return reject(UnknownSubcommandError(args[1], spec->name));
    }
    if (!ArityMatches(sub->arity, args.size())) {
      const std::string full_name = spec->name + "|" + sub->name;
      spec = sub;  // counted as a rejected call of the subcommand
      return reject(WrongArgCountError(full_name));
    }
    parent = spec;
    spec = sub;
  }
  client.last_command = spec;
  client.last_command_parent = parent;

  if (!client.authenticated) {
    if (acl_.default_user_open()) {
      client.authenticated = true;
    } else if (!(spec->flags & kCmdNoAuth)) {
      return reject("NOAUTH Authentication required.");
    }
  }

  // ACL: a flag test for a user allowed everything (the default user, usually).
  const AclUser& user = UserOf(client);
  if (!user.unrestricted()) {
    const AclVerdict verdict = user.Check(*spec, parent, args);
    if (verdict.denial != AclDenial::kNone) return reject(AclDenialError(client, *spec, parent, args, verdict));
  }

  // A MONITOR client is a replica to Redis, which keeps replicas away from the keyspace.
  if (client.monitor && (spec->flags & (kCmdWrite | kCmdReadOnly | kCmdMayReplicate))) {
    return reject("ERR Replica can't interact with the keyspace");
  }

  // A script past busy-reply-threshold holds the keyspace: other clients wait, told so.
  if (scripting_->busy() && !client.script && !(spec->flags & kCmdAllowBusy)) {
    return reject(std::string(scripting_->busy_error()));
  }

  // Nothing is evicted while clients are paused (CLIENT PAUSE), as in Redis. With tiering
  // (and room in the tier), values leave DRAM after the command instead (Execute): never one this command is
  // about to use, which ColdReads may just have read back for it. Scripts apply Redis's
  // OOM rule for scripts themselves (server/scripting/redis_lib.cc).
  const bool over_memory = !client.script && shard_.options().maxmemory > 0 && !clients_paused() &&
                           !shard_.demoting() && !EnforceMaxmemory();
  if (over_memory && (spec->flags & kCmdDenyOom)) return reject(ErrorText(Status::OutOfMemory()));

  if (client.in_multi && (spec->flags & kCmdNoMulti)) return reject("ERR Command not allowed inside a transaction");

  // While the journal cannot be written (or is past its limit while rounds fail), or
  // (stop-writes-on-bgsave-error, with save rules)
  // the last checkpoint round failed, writes are refused and reads go on; inside MULTI
  // already when queued, and an EXEC whose queue holds a write, as Redis does. PING is
  // refused too (Redis does it so that health checks notice). The round's error comes
  // first, as in Redis.
  if (durability_ != nullptr) {
    const bool round_error = settings_.stop_writes_on_bgsave_error && durability_->rounds_failing();
    if ((round_error || !durability_->write_refusal().empty()) &&
        (IsWrite(*spec, client, *commands_) || spec->name == "ping")) {
      return reject(round_error ? std::string(kRoundErrorRefusal) : "MISCONF " + durability_->write_refusal());
    }
  }

  // A RESP2 subscriber can only change its subscriptions (RESP3 tells pushes from replies).
  if (client.pubsub && !client.reply.resp3() && !AllowedWhileSubscribed(*spec, parent)) {
    const std::string full_name = parent != nullptr ? parent->name + "|" + spec->name : spec->name;
    return reject("ERR Can't execute '" + full_name +
                  "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context");
  }

  // Checked where Redis checks it: after every refusal, before MULTI queues the command.
  if (pause_mode_ != PauseMode::kNone && execute_depth_ == 1 && !blocking_.retrying() && HeldByPause(client, *spec)) {
    return false;
  }

  if (client.in_multi && !(spec->flags & kCmdNoQueue)) {
    client.queued.emplace_back(args.begin(), args.end());
    reply.SimpleString("QUEUED");
    return false;
  }

  // CLIENT NO-TOUCH: the client's lookups leave access times alone (except
  // TOUCH, whose whole point is to touch).
  shard_.set_touch_enabled(!client.no_touch || spec->name == "touch");
  CommandContext context{*this, client, shard_, *spec, args};
  const uint64_t errors_before = reply.errors_written();
  // Keyspace notifications of a write: what its key arguments held before, then what
  // changed (expiry and eviction are reported by the observer whatever runs).
  const bool notify = (spec->flags & kCmdWrite) && keyspace_events_.active();
  if (notify) {
    const std::string full_name = parent != nullptr ? parent->name + "|" + spec->name : spec->name;
    keyspace_events_.BeforeCommand(*spec, full_name, client.db, args);
  }
  const auto started = std::chrono::steady_clock::now();
  spec->handler(context);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  if (notify) keyspace_events_.AfterCommand();
  if ((spec->flags & kCmdReadOnly) && tracking_.active()) RememberReadKeys(client, *spec, args);
  shard_.set_touch_enabled(true);
  // As Redis, after the command ran (so EXEC follows the commands it ran), once (not
  // again when a blocked command is retried), and never admin commands.
  if (!monitors_.empty() && !(spec->flags & (kCmdAdmin | kCmdSkipMonitor)) && !blocking_.retrying()) {
    FeedMonitors(client, args);
  }

  // A command that blocked is counted once, when it ends (server/blocking.h).
  if (client.blocked) return true;
  CountCall(*spec, client, args, errors_before,
            static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()));
  return true;
}

void Server::RememberReadKeys(Client& client, const CommandSpec& spec, std::span<const std::string_view> args) {
  // A script's reads count for its caller; EVAL_RO and FCALL_RO themselves read nothing
  // (their keys are what the script's commands read), and shard channels are no keys.
  Client* reader = client.script ? tracking_.current() : &client;
  if (reader == nullptr || !reader->tracking.on || reader->tracking.bcast) return;
  if ((spec.flags & kCmdPubSub) || spec.name == "eval_ro" || spec.name == "evalsha_ro" || spec.name == "fcall_ro") {
    return;
  }
  const std::vector<KeyReference> keys = KeysWithFlags(spec, args);
  if (!keys.empty()) tracking_.RememberKeys(*reader, keys, args);
}

bool Server::HeldByPause(Client& client, const CommandSpec& spec) {
  if (Shard::WallClockMs() >= pause_end_ms_) {
    UnpauseClients();
    return false;
  }
  if (pause_mode_ == PauseMode::kWrite && !HasFlags(spec, client, *commands_, kCmdWrite | kCmdMayReplicate)) {
    return false;
  }
  client.postponed = true;
  postponed_.push_back(client.id);
  return true;
}

void Server::CountCall(const CommandSpec& command, Client& client, std::span<const std::string_view> args,
                       uint64_t errors_before, uint64_t usec) {
  // As Redis's call(): commands refused before they run or queued by MULTI are not
  // counted, and a blocked command counts when it ends.
  ++stats_.total_commands_processed;
  ++client.commands_processed;
  CommandStats& stats = command.stats;
  ++stats.calls;
  stats.usec += usec;
  const ReplyWriter& reply = client.reply;
  if (reply.errors_written() > std::max(errors_before, client.errors_accounted)) {
    ++stats.failed_calls;
    if (!reply.last_error_counted_elsewhere()) {
      ++stats_.total_error_replies;
      info_.RecordError(reply.last_error());
    }
  }
  client.errors_accounted = reply.errors_written();
  if (settings_.latency_tracking) {
    if (stats.latency == nullptr) stats.latency = std::make_shared<LatencyHistogram>();
    stats.latency->Record(usec * 1000);  // µs precision, as Redis measures its calls
  }
  NoteLatency((command.flags & kCmdFast) ? "fast-command" : "command", usec / 1000);
  if (!(command.flags & kCmdSkipSlowlog)) {
    slowlog_.Record(args, usec, client.address, client.name, settings_.slowlog_log_slower_than,
                    settings_.slowlog_max_len);
  }
}

}  // namespace tierkv
