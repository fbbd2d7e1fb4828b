#include "client/progress_display.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"

namespace tsdb_source::client {
namespace {

// Columns a UTF-8 text takes, counting one per code point (stream names may be non-ASCII).
size_t Columns(const std::string& text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

// Cuts `text` to at most `columns` code points.
void CutToColumns(size_t columns, std::string* text) {
  size_t seen = 0;
  for (size_t i = 0; i < text->size(); ++i) {
    if ((static_cast<unsigned char>((*text)[i]) & 0xC0) == 0x80) continue;
    if (seen++ == columns) {
      text->resize(i);
      return;
    }
  }
}

}  // namespace

ProgressDisplay::ProgressDisplay(int streams_total, FILE* terminal, Clock clock,
                                 Options options)
    : progress_(streams_total, clock()),
      terminal_(terminal),
      clock_(std::move(clock)),
      options_(options),
      last_update_(progress_.start()) {}

std::unique_ptr<ProgressDisplay> ProgressDisplay::ForStderr(int streams_total) {
  if (isatty(STDERR_FILENO) != 1 || isatty(STDOUT_FILENO) == 1) return nullptr;
  Options options;
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    options.width = size.ws_col;
  }
  return std::make_unique<ProgressDisplay>(streams_total, stderr, [] { return absl::Now(); },
                                           options);
}

void ProgressDisplay::Observe(const v1::ReadResponse& event) {
  const absl::Time now = clock_();
  progress_.Observe(event, now);
  if (now - last_update_ < options_.interval) return;
  last_update_ = now;
  Show(progress_.Line(now), /*final=*/false);
}

void ProgressDisplay::Finish(bool completed) {
  if (completed) {
    Show(progress_.Summary(clock_()), /*final=*/true);
  } else if (shown_columns_ > 0) {
    std::fprintf(terminal_, "\r%s\r", std::string(shown_columns_, ' ').c_str());
    std::fflush(terminal_);
    shown_columns_ = 0;
  }
}

void ProgressDisplay::Show(std::string text, bool final) {
  // The last column stays free: a line that fills it wraps on some terminals.
  CutToColumns(std::max<size_t>(options_.width, 2) - 1, &text);
  const size_t columns = Columns(text);
  std::string line = "\r" + text;
  if (columns < shown_columns_) line.append(shown_columns_ - columns, ' ');
  if (final) line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), terminal_);
  std::fflush(terminal_);
  shown_columns_ = final ? 0 : columns;
}

}  // namespace tsdb_source::client
