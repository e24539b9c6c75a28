// Reads what marker discovery needs from one ELF file: the SystemTap SDT
// notes, the program headers (to turn addresses into file offsets) and a few
// section and symbol addresses. Parsing of operands and offsets is done in JS.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace pytrace {

struct SdtNote {
  std::string provider;
  std::string name;
  uint64_t pc = 0;         // location, as written in the note
  uint64_t base = 0;       // the note's idea of .stapsdt.base
  uint64_t semaphore = 0;  // 0: none
  std::string args;
};

// A note that could not be read, and was left out: the caller decides whether
// that is an error (the Python's own markers) or a warning (anyone else's).
struct NoteProblem {
  uint64_t offset = 0;   // file offset of the note (or of the unreadable rest)
  std::string provider;  // empty when the note is too broken to tell
  std::string message;
};

struct Segment {
  uint64_t vaddr, offset, filesz, memsz;
  uint32_t flags;
};

struct Section {
  std::string name;
  uint64_t addr, offset, size;
};

struct ElfSymbol {
  std::string name;
  uint64_t value, size;
};

struct ElfInfo {
  bool shared = false;       // ET_DYN
  bool interpreter = false;  // has PT_INTERP: a PIE executable, not a library
  uint16_t machine = 0;
  std::vector<SdtNote> notes;
  std::vector<NoteProblem> problems;
  std::vector<Segment> segments;   // PT_LOAD only
  std::vector<Section> sections;   // only those discovery asks about
  std::vector<ElfSymbol> symbols;  // only those asked for
};

// Throws NativeError on a file that cannot be opened (PYTRACE_PERMISSION for
// EACCES/EPERM, else PYTRACE_BAD_ELF) or whose ELF, program or section headers
// are corrupt (PYTRACE_BAD_ELF); the message names the file. Corrupt notes are
// not thrown: they are listed in `problems`.
ElfInfo ReadElfInfo(const std::string& path, const std::vector<std::string>& wanted_symbols);

}  // namespace pytrace
