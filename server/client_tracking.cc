#include "server/client_tracking.h"

#include <algorithm>

#include "server/connection.h"

namespace tierkv {
namespace {

constexpr std::string_view kInvalidateChannel = "__redis__:invalidate";

// Redis's test for prefixes of one client that would overlap: one starts the other.
bool Overlap(std::string_view a, std::string_view b) {
  const size_t length = std::min(a.size(), b.size());
  return a.substr(0, length) == b.substr(0, length);
}

std::string OverlapError(std::string_view prefix, std::string_view other, bool existing) {
  std::string text = "ERR Prefix '";
  text.append(prefix).append(existing ? "' overlaps with an existing prefix '" : "' overlaps with another provided prefix '");
  text.append(other).append("'. Prefixes for a single client must not overlap.");
  return text;
}

}  // namespace

bool ReaderIds::Insert(uint64_t id) {
  if (word_ == 0) {
    word_ = (static_cast<uintptr_t>(id) << 1) | 1;
    return true;
  }
  if (word_ & 1) {
    const uint64_t first = word_ >> 1;
    if (first == id) return false;
    auto* ids = new std::vector<uint64_t>{std::min(first, id), std::max(first, id)};
    word_ = reinterpret_cast<uintptr_t>(ids);
    return true;
  }
  std::vector<uint64_t>& ids = *many();
  auto at = std::lower_bound(ids.begin(), ids.end(), id);
  if (at != ids.end() && *at == id) return false;
  ids.insert(at, id);
  return true;
}

size_t ReaderIds::size() const {
  if (word_ & 1) return 1;
  const std::vector<uint64_t>* ids = many();
  return ids != nullptr ? ids->size() : 0;
}

std::optional<std::string> ClientTracking::Enable(Client& client, const Options& options) {
  TrackingMode& mode = client.tracking;
  if (!options.bcast && !options.prefixes.empty()) return "ERR PREFIX option requires BCAST mode to be enabled";
  if (mode.on && mode.bcast != options.bcast) {
    return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling "
           "it with a different mode.";
  }
  if (options.bcast && (options.optin || options.optout)) return "ERR OPTIN and OPTOUT are not compatible with BCAST";
  if (options.optin && options.optout) return "ERR You can't specify both OPTIN mode and OPTOUT mode";
  if ((options.optin && mode.optout) || (options.optout && mode.optin)) {
    return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling "
           "it with a different mode.";
  }
  if (options.bcast) {
    for (size_t i = 0; i < options.prefixes.size(); ++i) {
      for (const std::string& existing : mode.prefixes) {
        if (Overlap(existing, options.prefixes[i])) return OverlapError(options.prefixes[i], existing, true);
      }
      for (size_t j = i + 1; j < options.prefixes.size(); ++j) {
        if (Overlap(options.prefixes[i], options.prefixes[j])) {
          return OverlapError(options.prefixes[i], options.prefixes[j], false);
        }
      }
    }
  }

  if (!mode.on) tracking_ids_.insert(client.id);
  mode.on = true;
  mode.broken_redirect = mode.bcast = mode.optin = mode.optout = mode.noloop = false;
  mode.redirect = options.redirect;
  if (options.bcast) {
    mode.bcast = true;
    auto add = [&](std::string_view prefix) {
      auto it = prefixes_.find(prefix);
      if (it == prefixes_.end()) it = prefixes_.emplace(std::string(prefix), Prefix{}).first;
      std::vector<uint64_t>& ids = it->second.clients;
      if (std::find(ids.begin(), ids.end(), client.id) != ids.end()) return;
      ids.push_back(client.id);
      mode.prefixes.insert(std::lower_bound(mode.prefixes.begin(), mode.prefixes.end(), prefix), std::string(prefix));
    };
    if (options.prefixes.empty()) add("");
    for (std::string_view prefix : options.prefixes) add(prefix);
  }
  mode.optin = options.optin;
  mode.optout = options.optout;
  mode.noloop = options.noloop;
  return std::nullopt;
}

void ClientTracking::Disable(Client& client) {
  TrackingMode& mode = client.tracking;
  for (const std::string& prefix : mode.prefixes) {
    auto it = prefixes_.find(prefix);
    if (it == prefixes_.end()) continue;
    std::erase(it->second.clients, client.id);
    if (it->second.clients.empty()) prefixes_.erase(it);
  }
  if (mode.on) tracking_ids_.erase(client.id);
  mode = TrackingMode{};
}

void ClientTracking::ClientGone(Client& client) {
  Disable(client);
  if (current_ == &client) {
    current_ = nullptr;
    deferred_.clear();
  }
}

void ClientTracking::BeginCommand(Client& client) {
  if (!tracking_ids_.empty()) LimitTableSize();
  current_ = &client;
}

void ClientTracking::EndCommand(Client& client, bool client_command) {
  if (current_ == &client) {
    current_ = nullptr;
    if (!deferred_.empty()) {
      client.output += deferred_;
      deferred_.clear();
      if (client.connection != nullptr) client.connection->OnPushed();
    }
  }
  if (!client.in_multi && !client_command) client.tracking.caching = false;
}

void ClientTracking::RememberKeys(Client& reader, std::span<const KeyReference> keys,
                                  std::span<const std::string_view> args) {
  const TrackingMode& mode = reader.tracking;
  if ((mode.optin && !mode.caching) || (mode.optout && mode.caching)) return;
  for (const KeyReference& reference : keys) {
    const std::string_view key = args[static_cast<size_t>(reference.position)];
    auto it = table_.find(key);
    if (it == table_.end()) it = table_.emplace(std::string(key), ReaderIds{}).first;
    if (it->second.Insert(reader.id)) ++items_;
  }
}

Client* ClientTracking::Find(uint64_t id) {
  if (current_ != nullptr && current_->id == id) return current_;
  return find_(id);
}

void ClientTracking::Send(Client& client, const std::vector<std::string_view>* keys) {
  Client* target = &client;
  bool redirected = false;
  if (client.tracking.redirect != 0) {
    target = Find(client.tracking.redirect);
    if (target == nullptr) {
      // Only a RESP3 client can be told, on its own connection.
      client.tracking.broken_redirect = true;
      if (!client.reply.resp3()) return;
      ReplyWriter& reply = WriterFor(client);
      reply.Push(2);
      reply.Bulk("tracking-redir-broken");
      reply.Integer(static_cast<int64_t>(client.tracking.redirect));
      Pushed(client);
      return;
    }
    redirected = true;
  }
  if (target->connection != nullptr && target->connection->closing()) return;
  ReplyWriter& reply = WriterFor(*target);
  if (reply.resp3()) {
    reply.Push(2);
    reply.Bulk("invalidate");
  } else if (redirected && target->pubsub) {
    reply.Push(3);
    reply.Bulk("message");
    reply.Bulk(kInvalidateChannel);
  } else {
    return;  // RESP2 without a subscribed redirect: there is no way to tell it
  }
  if (keys == nullptr) {
    reply.Null();
  } else {
    reply.Array(keys->size());
    for (std::string_view key : *keys) reply.Bulk(key);
  }
  Pushed(*target);
}

ReplyWriter& ClientTracking::WriterFor(Client& client) {
  // The running client's messages wait until its command has replied (EndCommand).
  if (&client != current_) return client.reply;
  deferred_writer_.set_protocol(client.reply.protocol());
  return deferred_writer_;
}

void ClientTracking::Pushed(Client& client) {
  if (&client != current_ && client.connection != nullptr) client.connection->OnPushed();
}

void ClientTracking::InvalidateKey(std::string_view key, const Client* changer) {
  auto it = table_.find(key);
  if (it == table_.end()) return;
  // Forgotten first: the key is tracked again only when read again.
  const ReaderIds readers = std::move(it->second);
  const std::string name = it->first;
  table_.erase(it);
  items_ -= readers.size();
  const std::vector<std::string_view> keys{name};
  readers.ForEach([&](uint64_t id) {
    Client* target = Find(id);
    if (target == nullptr || !target->tracking.on || target->tracking.bcast) return;
    if (target->tracking.noloop && target == changer) return;
    Send(*target, &keys);
  });
}

void ClientTracking::OnKeyRemoved(int, std::string_view key, RemovalCause) {
  removed_key_.assign(key);
  removal_pending_ = true;
}

void ClientTracking::OnKeyModified(int, std::string_view key) {
  // An expiry or eviction is nobody's change for BCAST's NOLOOP, as in Redis (which still
  // skips, in default mode, the NOLOOP client whose command it happened in).
  const bool removal = removal_pending_ && key == removed_key_;
  removal_pending_ = false;
  if (!prefixes_.empty()) {
    const uint64_t changer = current_ != nullptr && !removal ? current_->id : 0;
    for (auto& [prefix, state] : prefixes_) {
      if (!key.starts_with(prefix)) continue;
      auto it = state.changed.find(key);
      if (it == state.changed.end()) {
        state.changed.emplace(std::string(key), changer);
      } else {
        it->second = changer;
      }
      if (!broadcast_scheduled_) {
        broadcast_scheduled_ = true;
        schedule_broadcast_();
      }
    }
  }
  if (!table_.empty()) InvalidateKey(key, current_);
}

void ClientTracking::OnDbChanged(int) {
  for (uint64_t id : tracking_ids_) {
    if (Client* client = Find(id)) Send(*client, nullptr);
  }
  table_ = Table{};
  items_ = 0;
}

void ClientTracking::Broadcast() {
  broadcast_scheduled_ = false;
  std::vector<std::string_view> keys;
  for (auto& [prefix, state] : prefixes_) {
    if (state.changed.empty()) continue;
    for (uint64_t id : state.clients) {
      Client* client = Find(id);
      if (client == nullptr) continue;
      // NOLOOP: not the keys this client changed itself.
      keys.clear();
      for (const auto& [key, changer] : state.changed) {
        if (!client->tracking.noloop || changer != id) keys.push_back(key);
      }
      if (!keys.empty()) Send(*client, &keys);
    }
    state.changed.clear();
  }
}

void ClientTracking::LimitTableSize() {
  const size_t max = static_cast<size_t>(max_keys_);
  if (max_keys_ <= 0 || table_.size() <= max) {
    limit_rounds_ = 0;
    return;
  }
  // As Redis: forgets random keys, each with its invalidation, with an effort that grows
  // while the table stays over the bound.
  for (unsigned effort = 100 * (limit_rounds_ + 1); effort > 0 && !table_.empty(); --effort) {
    random_state_ ^= random_state_ << 13;
    random_state_ ^= random_state_ >> 7;
    random_state_ ^= random_state_ << 17;
    const size_t buckets = table_.bucket_count();
    size_t bucket = random_state_ % buckets;
    while (table_.bucket_size(bucket) == 0) bucket = (bucket + 1) % buckets;
    const std::string key = table_.begin(bucket)->first;
    InvalidateKey(key, nullptr);
    if (table_.size() <= max) {
      limit_rounds_ = 0;
      return;
    }
  }
  ++limit_rounds_;
}

}  // namespace tierkv
