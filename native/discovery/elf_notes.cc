#include "elf_notes.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <unordered_set>

namespace pytrace {
namespace {

constexpr uint32_t kNtStapsdt = 3;
const char* const kSections[] = {".stapsdt.base", ".probes", ".fini", ".text"};

struct ElfHandle {
  int fd = -1;
  Elf* elf = nullptr;
  ~ElfHandle() {
    if (elf) elf_end(elf);
    if (fd >= 0) close(fd);
  }
};

[[noreturn]] void Fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// The note descriptor: three addresses (pc, base, semaphore) of the ELF's
// word size, then provider, name and arguments as NUL-terminated strings.
void ParseNote(const char* desc, size_t size, bool is64, SdtNote* note) {
  size_t word = is64 ? 8 : 4, at = 0;
  auto addr = [&]() -> uint64_t {
    uint64_t v = 0;
    if (at + word > size) return 0;
    if (is64) { memcpy(&v, desc + at, 8); } else { uint32_t w; memcpy(&w, desc + at, 4); v = w; }
    at += word;
    return v;
  };
  note->pc = addr();
  note->base = addr();
  note->semaphore = addr();
  auto str = [&]() -> std::string {
    if (at >= size) return "";
    size_t len = strnlen(desc + at, size - at);
    std::string s(desc + at, len);
    at += len + 1;
    return s;
  };
  note->provider = str();
  note->name = str();
  note->args = str();
}

}  // namespace

ElfInfo ReadElfInfo(const std::string& path, const std::vector<std::string>& wanted_symbols) {
  if (elf_version(EV_CURRENT) == EV_NONE) Fail(path, "libelf is unusable");
  ElfHandle h;
  h.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (h.fd < 0) Fail(path, strerror(errno));
  h.elf = elf_begin(h.fd, ELF_C_READ_MMAP, nullptr);
  if (!h.elf || elf_kind(h.elf) != ELF_K_ELF) Fail(path, "not an ELF file");

  GElf_Ehdr ehdr;
  if (!gelf_getehdr(h.elf, &ehdr)) Fail(path, elf_errmsg(-1));
  bool is64 = gelf_getclass(h.elf) == ELFCLASS64;
  ElfInfo info;
  info.shared = ehdr.e_type == ET_DYN;
  info.machine = ehdr.e_machine;

  size_t phnum = 0;
  elf_getphdrnum(h.elf, &phnum);
  for (size_t i = 0; i < phnum; i++) {
    GElf_Phdr ph;
    if (gelf_getphdr(h.elf, i, &ph) && ph.p_type == PT_LOAD)
      info.segments.push_back({ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz, ph.p_flags});
  }

  size_t shstrndx = 0;
  if (elf_getshdrstrndx(h.elf, &shstrndx) != 0) Fail(path, elf_errmsg(-1));
  std::unordered_set<std::string> wanted(wanted_symbols.begin(), wanted_symbols.end());
  std::unordered_set<std::string> found;
  for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(h.elf, scn));) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    const char* name = elf_strptr(h.elf, shstrndx, sh.sh_name);
    if (!name) continue;
    for (const char* s : kSections)
      if (!strcmp(name, s)) info.sections.push_back({name, sh.sh_addr, sh.sh_offset, sh.sh_size});

    if (sh.sh_type == SHT_NOTE && !strcmp(name, ".note.stapsdt")) {
      Elf_Data* data = elf_getdata(scn, nullptr);
      size_t off = 0, name_off, desc_off;
      GElf_Nhdr nh;
      while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
        const char* base = static_cast<const char*>(data->d_buf);
        if (nh.n_type != kNtStapsdt || nh.n_namesz != 8 || memcmp(base + name_off, "stapsdt", 8))
          continue;
        SdtNote note;
        ParseNote(base + desc_off, nh.n_descsz, is64, &note);
        info.notes.push_back(std::move(note));
      }
    }

    // .symtab first, .dynsym as well: a stripped binary keeps only the latter.
    if (!wanted.empty() && (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM)) {
      Elf_Data* data = elf_getdata(scn, nullptr);
      size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
      for (size_t i = 0; data && i < count; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF) continue;
        const char* sname = elf_strptr(h.elf, sh.sh_link, sym.st_name);
        if (!sname || !wanted.count(sname) || found.count(sname)) continue;
        found.insert(sname);
        info.symbols.push_back({sname, sym.st_value, sym.st_size});
      }
    }
  }
  return info;
}

}  // namespace pytrace
