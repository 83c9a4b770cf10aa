// JournalFrame: the on-disk framing of journal format version 2 (segment header, blocks,
// frames). docs/ARCHITECTURE.md ("Journal format") describes the same bytes for readers.
//
// A version 2 segment file is cut into blocks of `block_size` bytes, counted from offset 0.
//
// Segment header, at offset 0 (36 bytes, integers little-endian):
//    0  8  magic "TIERKVJL"
//    8  4  format version (2)
//   12  4  block size (64 .. 2^30)
//   16  8  nonce: random, drawn when the segment is created
//   24  8  the segment's first LSN (the same as in its file name)
//   32  4  CRC-32C of bytes 0..31
// A version 1 segment starts with a record length <= 2^30, whose fourth byte is at most
// 0x40; the magic's fourth byte is 'R' (0x52), so the magic alone tells the versions apart.
//
// Frames follow the header. A frame (16-byte header, then `length` payload bytes):
//    0  4  header CRC: CRC-32C over the nonce (8 bytes, little-endian) then bytes 4..15
//    4  4  CRC-32C of the payload bytes
//    8  4  length of the payload in this frame (>= 1)
//   12  1  type: 1 FULL (a whole record), 2 FIRST, 3 MIDDLE, 4 LAST (its pieces, in order)
//   13  3  zero
// A frame never crosses a block boundary. Where 16 bytes or fewer remain in a block, no
// frame starts: they are zero padding and the next frame starts at the next block. A
// record's payload (journal_record.h) larger than the room left in the block is cut into
// FIRST, MIDDLE..., LAST frames, consecutive in the same segment; so a record has no size
// limit and no frame is larger than a block.
//
// Why this lets recovery tell a torn tail from corruption in linear time, and never read a
// value's bytes as a record: every block starts with a frame header (or is past the end),
// and payload bytes never sit at a block start; a header is believed only if its CRC,
// keyed by this segment's nonce, matches, which bytes left by another segment (a reused
// disk block) or zero-filled pages do not. After the first bad frame, the reader checks
// only the frame at the start of each later block: each byte is checksummed at most twice.
//
// Thread-safety: free functions over caller-owned values; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tierkv {

inline constexpr std::string_view kJournalSegmentMagic = "TIERKVJL";
inline constexpr uint32_t kJournalFormatVersion = 2;
inline constexpr size_t kSegmentHeaderSize = 36;
inline constexpr size_t kFrameHeaderSize = 16;
inline constexpr uint32_t kDefaultJournalBlockSize = 32u << 10;
inline constexpr uint32_t kMinJournalBlockSize = 64;
inline constexpr uint32_t kMaxJournalBlockSize = 1u << 30;

struct SegmentHeader {
  uint32_t version = kJournalFormatVersion;
  uint32_t block_size = kDefaultJournalBlockSize;
  uint64_t nonce = 0;
  uint64_t first_lsn = 0;
};

// A fresh random nonce for a new segment.
uint64_t NewSegmentNonce();

// Appends the 36-byte header.
void EncodeSegmentHeader(const SegmentHeader& header, std::string* out);

enum class SegmentFormat {
  kEmpty,       // no bytes at all
  kTornHeader,  // shorter than a header and a prefix of one, or a zero-filled start:
                // the header never reached the disk whole
  kVersion1,    // no magic: an earlier release's segment of bare v1 records
  kVersion2,    // *header is filled
  kBadHeader,   // the magic, but a CRC mismatch, an unknown version or an impossible
                // block size (*why says which)
};

// Looks at the start of a segment file's bytes.
SegmentFormat DetectSegmentFormat(std::string_view bytes, SegmentHeader* header, std::string* why);

enum class FrameType : uint8_t { kFull = 1, kFirst = 2, kMiddle = 3, kLast = 4 };

// Appends the frames (and any block padding before them) of one payload. `file_offset`
// is where out's current end lies in the segment file. `payload` must not be empty.
void AppendFrames(std::string_view payload, const SegmentHeader& header, uint64_t file_offset,
                  std::string* out);

// Where the next frame starts, given the end of the previous one: `at`, or the next block
// start when `at` lies in a block's padding.
uint64_t NextFrameStart(uint64_t at, uint32_t block_size);

enum class FrameRead {
  kOk,          // *frame is filled
  kIncomplete,  // the segment ends inside the frame (its header, or a believed header's
                // payload): a torn tail if nothing follows
  kBad,         // header CRC, type, length or payload CRC wrong
};

struct Frame {
  FrameType type = FrameType::kFull;
  std::string_view payload;
  uint64_t end = 0;  // offset just past the frame
};

// Reads the frame at `at` (a frame start: see NextFrameStart) of `segment`'s bytes.
// *checksummed grows by the bytes the check ran CRC-32C over (the scanner's linearity is
// asserted on it).
FrameRead ReadFrame(std::string_view segment, uint64_t at, const SegmentHeader& header, Frame* frame,
                    std::string* why, uint64_t* checksummed);

}  // namespace tierkv
