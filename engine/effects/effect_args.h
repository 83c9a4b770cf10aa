// EffectArgs: reads one effect's words for its parser (effect_verbs.h). Every reader
// answers whether the word is there and has the expected form; a parser that gets a
// "no" returns Malformed(), which names the verb and the form the engine writes.
//
// Thread-safety: a view of one effect; plain reads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/effect_record.h"
#include "engine/number.h"
#include "engine/status.h"

namespace tierkv::effects {

class EffectArgs {
 public:
  explicit EffectArgs(const Effect& effect) : effect_(effect) {}

  size_t size() const { return effect_.size(); }
  std::string_view verb() const { return effect_[0]; }
  // The key an effect on a key names second.
  std::string_view key() const { return effect_[1]; }
  std::string_view operator[](size_t index) const { return effect_[index]; }

  // Words [first, size()) as views, for operations that take a span of them.
  std::vector<std::string_view> From(size_t first) const {
    std::vector<std::string_view> words;
    if (first < effect_.size()) words.assign(effect_.begin() + static_cast<std::ptrdiff_t>(first), effect_.end());
    return words;
  }

  // Word `index` is exactly `word` (the engine writes keywords upper-case).
  bool Is(size_t index, std::string_view word) const { return index < size() && effect_[index] == word; }
  bool Int(size_t index, int64_t* value) const { return index < size() && ParseInt64(effect_[index], value); }
  bool Uint(size_t index, uint64_t* value) const { return index < size() && ParseUint64(effect_[index], value); }

  // "malformed VERB effect: the engine writes 'VERB key ...'".
  Status Malformed(std::string_view form) const {
    return Status::Corruption("malformed " + std::string(verb()) + " effect: the engine writes '" + std::string(form) +
                              "'");
  }

 private:
  const Effect& effect_;
};

}  // namespace tierkv::effects
