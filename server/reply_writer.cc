#include "server/reply_writer.h"

#include <charconv>

#include "engine/number.h"

namespace tierkv {

void ReplyWriter::Header(char type, uint64_t count) {
  char buffer[24];
  buffer[0] = type;
  auto [end, ec] = std::to_chars(buffer + 1, buffer + sizeof(buffer) - 2, count);
  (void)ec;
  *end++ = '\r';
  *end++ = '\n';
  out_->append(buffer, static_cast<size_t>(end - buffer));
}

void ReplyWriter::SimpleString(std::string_view text) {
  out_->push_back('+');
  out_->append(text);
  out_->append("\r\n");
}

void ReplyWriter::Error(std::string_view text, bool counted_elsewhere) {
  out_->push_back('-');
  const size_t start = out_->size();
  out_->append(text);
  for (size_t i = start; i < out_->size(); ++i) {
    if ((*out_)[i] == '\r' || (*out_)[i] == '\n') (*out_)[i] = ' ';
  }
  last_error_.assign(*out_, start, out_->size() - start);
  out_->append("\r\n");
  ++errors_written_;
  last_error_counted_elsewhere_ = counted_elsewhere;
}

void ReplyWriter::Integer(int64_t value) {
  char buffer[24];
  buffer[0] = ':';
  auto [end, ec] = std::to_chars(buffer + 1, buffer + sizeof(buffer) - 2, value);
  (void)ec;
  *end++ = '\r';
  *end++ = '\n';
  out_->append(buffer, static_cast<size_t>(end - buffer));
}

void ReplyWriter::Bulk(std::string_view data) {
  Header('$', data.size());
  out_->append(data);
  out_->append("\r\n");
}

void ReplyWriter::Null() { out_->append(resp3() ? "_\r\n" : "$-1\r\n"); }
void ReplyWriter::NullArray() { out_->append(resp3() ? "_\r\n" : "*-1\r\n"); }
void ReplyWriter::Array(size_t count) { Header('*', count); }
void ReplyWriter::Map(size_t pairs) { resp3() ? Header('%', pairs) : Header('*', pairs * 2); }
void ReplyWriter::Set(size_t count) { Header(resp3() ? '~' : '*', count); }
void ReplyWriter::Push(size_t count) { Header(resp3() ? '>' : '*', count); }
void ReplyWriter::Attribute(size_t pairs) {
  if (resp3()) Header('|', pairs);
}

void ReplyWriter::Double(double value) { DoubleText(FormatDouble(value)); }

void ReplyWriter::DoubleText(std::string_view text) {
  if (!resp3()) return Bulk(text);
  out_->push_back(',');
  out_->append(text);
  out_->append("\r\n");
}

void ReplyWriter::Boolean(bool value) {
  if (!resp3()) return Integer(value ? 1 : 0);
  out_->append(value ? "#t\r\n" : "#f\r\n");
}

void ReplyWriter::Verbatim(std::string_view text, std::string_view format) {
  if (!resp3()) return Bulk(text);
  Header('=', text.size() + 4);
  out_->append(format);
  out_->push_back(':');
  out_->append(text);
  out_->append("\r\n");
}

void ReplyWriter::BigNumber(std::string_view digits) {
  if (!resp3()) return Bulk(digits);
  out_->push_back('(');
  out_->append(digits);
  out_->append("\r\n");
}

}  // namespace tierkv
