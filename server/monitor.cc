#include "server/monitor.h"

#include <cstdio>

#include "server/slowlog.h"

namespace tierkv {
namespace {

// Redis's sdscatrepr: printable bytes as they are, the usual escapes, the rest as \xHH.
void AppendQuoted(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      default: {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f) {
          out.push_back(c);
        } else {
          char hex[8];
          std::snprintf(hex, sizeof(hex), "\\x%02x", byte);
          out += hex;
        }
      }
    }
  }
  out.push_back('"');
}

}  // namespace

std::string MonitorLine(int64_t unix_us, int db, std::string_view address, std::span<const std::string_view> args) {
  char head[64];
  std::snprintf(head, sizeof(head), "+%lld.%06lld [%d ", static_cast<long long>(unix_us / 1000000),
                static_cast<long long>(unix_us % 1000000), db);
  std::string line = head;
  line += address;
  line += ']';
  const std::vector<bool> secret = SecretArguments(args);
  for (size_t i = 0; i < args.size(); ++i) {
    line.push_back(' ');
    AppendQuoted(line, secret[i] ? std::string_view("(redacted)") : args[i]);
  }
  line += "\r\n";
  return line;
}

}  // namespace tierkv
