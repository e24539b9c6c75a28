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
  bool shared = false;  // ET_DYN
  uint16_t machine = 0;
  std::vector<SdtNote> notes;
  std::vector<Segment> segments;  // PT_LOAD only
  std::vector<Section> sections;  // only those discovery asks about
  std::vector<ElfSymbol> symbols; // only those asked for
};

// Throws std::runtime_error with a message naming the file on failure.
ElfInfo ReadElfInfo(const std::string& path, const std::vector<std::string>& wanted_symbols);

}  // namespace pytrace
