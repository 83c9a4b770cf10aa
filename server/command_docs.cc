#include "server/command_docs.h"

#include <charconv>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "server/command.h"
#include "server/command_table.h"

namespace tierkv {
namespace {

// One command's docs as read, with where they came from for error messages.
struct DocsEntry {
  std::string name;
  CommandDocs docs;
  std::string_view origin;
  bool addition = false;  // "+name": facts added to the command's docs given elsewhere
};

constexpr std::string_view kArgumentTypes[] = {"string", "integer", "double",     "key",  "pattern",
                                               "unix-time", "pure-token", "oneof", "block"};

bool IsContainer(std::string_view type) { return type == "oneof" || type == "block"; }

// "field value" split at the first space (value may be empty).
std::pair<std::string_view, std::string_view> SplitFirstWord(std::string_view text) {
  const size_t space = text.find(' ');
  if (space == std::string_view::npos) return {text, {}};
  return {text.substr(0, space), text.substr(space + 1)};
}

// Sets a single-valued text fact once; the error text, or "" when it is set.
std::string SetOnce(std::string& target, std::string_view value, std::string_view field) {
  if (value.empty()) return "'" + std::string(field) + "' needs a value";
  if (!target.empty()) return "'" + std::string(field) + "' is given twice";
  target = value;
  return "";
}

// Flag words in Redis's reply order.
struct FlagWord {
  std::string_view word;
  uint8_t flag;
};
constexpr FlagWord kDocFlags[] = {{"deprecated", CommandDocs::kDeprecated}, {"syscmd", CommandDocs::kSysCmd}};
constexpr FlagWord kArgumentFlags[] = {{"optional", ArgumentDoc::kOptional},
                                       {"multiple", ArgumentDoc::kMultiple},
                                       {"multiple_token", ArgumentDoc::kMultipleToken}};

// Space-separated flag words into `flags`; the error text, or "".
template <size_t N>
std::string ParseFlags(std::string_view words, const FlagWord (&known)[N], uint8_t& flags) {
  if (words.empty()) return "'flags' needs at least one flag";
  while (!words.empty()) {
    auto [word, rest] = SplitFirstWord(words);
    words = rest;
    bool found = false;
    for (const FlagWord& candidate : known) {
      if (candidate.word != word) continue;
      flags |= candidate.flag;
      found = true;
    }
    if (!found) return "unknown flag '" + std::string(word) + "'";
  }
  return "";
}

std::string CommandFact(CommandDocs& docs, std::string_view field, std::string_view value) {
  if (field == "doc_flags") return ParseFlags(value, kDocFlags, docs.flags);
  if (field == "deprecated_since") return SetOnce(docs.deprecated_since, value, field);
  if (field == "replaced_by") return SetOnce(docs.replaced_by, value, field);
  if (field == "history") {
    auto [since, what] = SplitFirstWord(value);
    if (since.empty() || what.empty()) return "'history' needs a version and a text";
    docs.history.push_back({std::string(since), std::string(what)});
    return "";
  }
  return "unknown command field '" + std::string(field) + "'";
}

std::string ArgumentFact(ArgumentDoc& arg, std::string_view field, std::string_view value) {
  if (field == "display_text") return SetOnce(arg.display_text, value, field);
  if (field == "token") return SetOnce(arg.token, value, field);
  if (field == "summary") return SetOnce(arg.summary, value, field);
  if (field == "since") return SetOnce(arg.since, value, field);
  if (field == "deprecated_since") return SetOnce(arg.deprecated_since, value, field);
  if (field == "flags") return ParseFlags(value, kArgumentFlags, arg.flags);
  if (field == "key_spec_index") {
    int index = -1;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), index);
    if (error != std::errc() || end != value.data() + value.size() || index < 0 || arg.key_spec_index >= 0) {
      return "'key_spec_index' needs one index";
    }
    arg.key_spec_index = index;
    return "";
  }
  return "unknown argument field '" + std::string(field) + "'";
}

// An "arg <name> <type>" line as a new argument; the error text, or "".
std::string NewArgument(std::string_view value, ArgumentDoc& arg) {
  auto [name, type] = SplitFirstWord(value);
  if (name.empty() || type.empty()) return "'arg' needs a name and a type";
  bool known = false;
  for (std::string_view candidate : kArgumentTypes) known = known || candidate == type;
  if (!known) return "unknown argument type '" + std::string(type) + "'";
  arg.name = name;
  arg.type = type;
  return "";
}

Result<std::vector<DocsEntry>> ParseDocs(const CommandDocsText& source) {
  std::vector<DocsEntry> entries;
  // open[d - 1]: the argument whose "arg" line is at depth d, while its facts may follow.
  std::vector<ArgumentDoc*> open;
  size_t line_number = 0;
  std::string_view rest = source.text;
  while (!rest.empty()) {
    ++line_number;
    const size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    auto fail = [&](const std::string& why) {
      return Status::Error("command docs: " + std::string(source.origin) + " line " + std::to_string(line_number) +
                           ": " + why);
    };
    const size_t indent = line.find_first_not_of(' ');
    if (indent == std::string_view::npos || line[indent] == '#') continue;
    if (indent % 2 != 0) return fail("indentation is not a multiple of two spaces");
    const size_t depth = indent / 2;
    const std::string_view body = line.substr(indent);
    if (depth == 0) {
      const bool addition = body.starts_with('+');
      const std::string_view name = body.substr(addition ? 1 : 0);
      if (name.empty() || name.find(' ') != std::string_view::npos) return fail("a command name is one word");
      entries.push_back({std::string(name), {}, source.origin, addition});
      open.clear();
      continue;
    }
    if (entries.empty()) return fail("a fact before any command");
    if (depth - 1 > open.size()) return fail("indented deeper than the line above allows");
    open.resize(depth - 1);
    const auto [field, value] = SplitFirstWord(body);
    std::string error;
    if (field == "arg") {
      if (!open.empty() && !IsContainer(open.back()->type)) return fail("only oneof and block arguments nest");
      std::vector<ArgumentDoc>& siblings = open.empty() ? entries.back().docs.arguments : open.back()->arguments;
      ArgumentDoc arg;
      error = NewArgument(value, arg);
      if (error.empty()) {
        siblings.push_back(std::move(arg));
        open.push_back(&siblings.back());
      }
    } else if (open.empty()) {
      error = CommandFact(entries.back().docs, field, value);
    } else {
      error = ArgumentFact(*open.back(), field, value);
    }
    if (!error.empty()) return fail(error);
  }
  return entries;
}

// What Redis's own docs always hold: containers group arguments, tokens
// introduce pure tokens, and each key argument names one of the key specs.
std::string CheckArguments(const std::vector<ArgumentDoc>& arguments, size_t key_specs) {
  for (const ArgumentDoc& arg : arguments) {
    const std::string where = "argument '" + arg.name + "' ";
    if (IsContainer(arg.type) && arg.arguments.empty()) return where + "groups no arguments";
    if (arg.type == "pure-token" && arg.token.empty()) return where + "is a pure token without a token";
    if (arg.type == "key" && arg.key_spec_index < 0) return where + "is a key without key_spec_index";
    // A pattern may name keys too (SORT's BY and GET); nothing else does.
    if (arg.key_spec_index >= 0 && arg.type != "key" && arg.type != "pattern") {
      return where + "has a key_spec_index but is no key";
    }
    if (arg.key_spec_index >= 0 && static_cast<size_t>(arg.key_spec_index) >= key_specs) {
      return where + "names a key spec the command does not have";
    }
    std::string nested = CheckArguments(arg.arguments, key_specs);
    if (!nested.empty()) return nested;
  }
  return "";
}

template <size_t N>
std::vector<std::string> FlagNames(uint8_t flags, const FlagWord (&known)[N]) {
  std::vector<std::string> names;
  for (const FlagWord& candidate : known) {
    if (flags & candidate.flag) names.emplace_back(candidate.word);
  }
  return names;
}

// Appends an addition's facts to the docs it extends; the error text, or "".
std::string AddFacts(CommandDocs& docs, CommandDocs&& addition) {
  if ((!addition.deprecated_since.empty() && !docs.deprecated_since.empty()) ||
      (!addition.replaced_by.empty() && !docs.replaced_by.empty())) {
    return "gives a deprecation the docs already give";
  }
  docs.flags |= addition.flags;
  if (!addition.deprecated_since.empty()) docs.deprecated_since = std::move(addition.deprecated_since);
  if (!addition.replaced_by.empty()) docs.replaced_by = std::move(addition.replaced_by);
  for (CommandDocs::Change& change : addition.history) docs.history.push_back(std::move(change));
  for (ArgumentDoc& arg : addition.arguments) docs.arguments.push_back(std::move(arg));
  return "";
}

}  // namespace

std::vector<std::string> DocFlagNames(uint8_t command_doc_flags) { return FlagNames(command_doc_flags, kDocFlags); }

std::vector<std::string> ArgumentFlagNames(uint8_t argument_flags) {
  return FlagNames(argument_flags, kArgumentFlags);
}

Status AttachCommandDocs(CommandTable& table) {
  const CommandDocsText texts[] = {{"server/generated/command_docs.cc", GeneratedCommandDocs()},
                                   {"server/command_docs_tierkv.cc", HandWrittenCommandDocs()}};
  return AttachCommandDocs(table, texts);
}

Status AttachCommandDocs(CommandTable& table, std::span<const CommandDocsText> texts) {
  std::map<std::string, DocsEntry> by_name;  // ordered, so the first leftover reported is always the same
  std::vector<DocsEntry> additions;
  for (const CommandDocsText& text : texts) {
    auto entries = ParseDocs(text);
    if (!entries.ok()) return entries.status();
    for (DocsEntry& entry : *entries) {
      const std::string name = entry.name;
      if (entry.addition) {
        additions.push_back(std::move(entry));
      } else if (!by_name.emplace(name, std::move(entry)).second) {
        return Status::Error("command docs: '" + name + "' is documented twice");
      }
    }
  }
  for (DocsEntry& addition : additions) {
    const auto base = by_name.find(addition.name);
    const std::string where = "command docs: " + std::string(addition.origin) + ": '+" + addition.name + "' ";
    if (base == by_name.end()) return Status::Error(where + "adds to docs that nothing gives");
    const std::string error = AddFacts(base->second.docs, std::move(addition.docs));
    if (!error.empty()) return Status::Error(where + error);
  }
  auto attach = [&](CommandSpec& spec, const std::string& full_name) {
    const auto found = by_name.find(full_name);
    if (found == by_name.end()) {
      return Status::Error("command docs: '" + full_name +
                           "' has none (run tools/command-docs/generate.py --add " + full_name +
                           ", or write them in server/command_docs_tierkv.cc)");
    }
    const std::string error = CheckArguments(found->second.docs.arguments, spec.key_specs.size());
    if (!error.empty()) {
      return Status::Error("command docs: " + std::string(found->second.origin) + ": '" + full_name + "' " + error);
    }
    spec.docs = std::move(found->second.docs);
    by_name.erase(found);
    return Status::Ok();
  };
  for (const auto& command : table.all()) {
    Status status = attach(*command, command->name);
    if (!status.ok()) return status;
    for (CommandSpec& sub : command->subcommands) {
      status = attach(sub, command->name + "|" + sub.name);
      if (!status.ok()) return status;
    }
  }
  if (!by_name.empty()) {
    const DocsEntry& stray = by_name.begin()->second;
    return Status::Error("command docs: " + std::string(stray.origin) + " documents '" + stray.name +
                         "', which is no command");
  }
  return Status::Ok();
}

}  // namespace tierkv
