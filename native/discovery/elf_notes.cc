#include "elf_notes.h"

#include <endian.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "../native_error.h"

namespace pytrace {
namespace {

constexpr uint32_t kNtStapsdt = 3;
constexpr const char* kNoteSection = ".note.stapsdt";
const char* const kSections[] = {".stapsdt.base", ".probes", ".fini", ".text"};

struct ElfHandle {
  int fd = -1;
  Elf* elf = nullptr;
  ~ElfHandle() {
    if (elf) elf_end(elf);
    if (fd >= 0) close(fd);
  }
};

[[noreturn]] void Fail(const std::string& path, const std::string& what, const char* code = "PYTRACE_BAD_ELF",
                       int err = 0) {
  throw NativeError(code, path + ": " + what, err);
}

std::string Hex(uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

// Does [offset, offset + size) lie inside a file of `file_size` bytes?
bool InFile(uint64_t offset, uint64_t size, uint64_t file_size) {
  return offset <= file_size && size <= file_size - offset;
}

// The note descriptor: three addresses (pc, base, semaphore) of the ELF's word
// size, then provider, name and arguments, each NUL-terminated inside the
// descriptor. Anything else is what readelf calls a corrupt stapsdt note.
// Returns an empty string on success, else what is wrong.
std::string ParseNote(const char* desc, size_t size, bool is64, SdtNote* note) {
  size_t word = is64 ? 8 : 4, at = 0;
  if (size < 3 * word)
    return "its descriptor (" + std::to_string(size) + " bytes) is shorter than its three addresses (" +
           std::to_string(3 * word) + " bytes)";
  auto addr = [&]() -> uint64_t {
    uint64_t v = 0;
    if (is64) {
      memcpy(&v, desc + at, 8);
    } else {
      uint32_t w;
      memcpy(&w, desc + at, 4);
      v = w;
    }
    at += word;
    return v;
  };
  note->pc = addr();
  note->base = addr();
  note->semaphore = addr();
  const char* what[] = {"provider", "name", "arguments"};
  std::string* into[] = {&note->provider, &note->name, &note->args};
  for (int i = 0; i < 3; i++) {
    size_t len = at < size ? strnlen(desc + at, size - at) : 0;
    if (at >= size || len == size - at)
      return std::string("its ") + what[i] + " string has no terminating NUL inside the note";
    into[i]->assign(desc + at, len);
    at += len + 1;
  }
  // Zeros may follow (a descriptor size that counts the padding); anything
  // else is a size that swallowed what comes next, such as the next notes.
  for (size_t i = at; i < size; i++)
    if (desc[i])
      return "its descriptor runs " + std::to_string(size - at) + " bytes past its arguments string";
  return "";
}

// Every note of one SHT_NOTE section. Notes of other owners are reported in
// the section named .note.stapsdt, or in one that held a stapsdt note; the
// build ids and ABI tags elsewhere are not ours to judge.
void ReadNotes(Elf_Data* data, const GElf_Shdr& sh, const char* section_name, bool is64, ElfInfo* info) {
  const char* base = static_cast<const char*>(data->d_buf);
  bool ours = !strcmp(section_name, kNoteSection);
  std::vector<NoteProblem> problems;
  size_t off = 0, next, name_off, desc_off;
  GElf_Nhdr nh;
  while (off < data->d_size && (next = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
    uint64_t at = sh.sh_offset + off;
    off = next;
    bool stapsdt = nh.n_type == kNtStapsdt && nh.n_namesz == 8 && !memcmp(base + name_off, "stapsdt", 8);
    if (!stapsdt) {
      std::string owner(base + name_off, strnlen(base + name_off, nh.n_namesz));
      problems.push_back({at, "",
                          "note at " + Hex(at) + " in " + section_name + " is not a stapsdt note (owner \"" +
                              owner + "\", name size " + std::to_string(nh.n_namesz) + ", type " +
                              std::to_string(nh.n_type) + ")"});
      continue;
    }
    ours = true;
    SdtNote note;
    std::string wrong = ParseNote(base + desc_off, nh.n_descsz, is64, &note);
    if (!wrong.empty()) {
      std::string which = note.name.empty() ? "" : " (" + note.provider + ":" + note.name + ")";
      problems.push_back({at, note.provider, "corrupt stapsdt note at " + Hex(at) + which + ": " + wrong});
      continue;
    }
    info->notes.push_back(std::move(note));
  }
  if (ours) info->problems.insert(info->problems.end(), problems.begin(), problems.end());
  // A section that cannot be walked to its end may hide stapsdt notes, whoever's it is.
  if (off < data->d_size) {
    uint64_t at = sh.sh_offset + off;
    info->problems.push_back({at, "",
                              "the " + std::to_string(data->d_size - off) + " bytes of " + section_name +
                                  " from " + Hex(at) +
                                  " are not a whole note (a name or descriptor size runs past the section): "
                                  "its notes from there on are skipped"});
  }
}

void ReadSymbols(Elf* elf, Elf_Scn* scn, const GElf_Shdr& sh, const std::string& path,
                 const std::unordered_set<std::string>& wanted, std::unordered_set<std::string>* found,
                 ElfInfo* info) {
  Elf_Data* data = elf_getdata(scn, nullptr);
  size_t entry = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
  if (!data || sh.sh_entsize != entry)
    Fail(path, "corrupt symbol table (entry size " + std::to_string(sh.sh_entsize) + ")");
  for (size_t i = 0; i < data->d_size / entry; i++) {
    GElf_Sym sym;
    if (!gelf_getsym(data, i, &sym)) Fail(path, "corrupt symbol table: " + std::string(elf_errmsg(-1)));
    if (sym.st_shndx == SHN_UNDEF || sym.st_name == 0) continue;
    const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
    if (!name)
      Fail(path, "corrupt symbol table: symbol " + std::to_string(i) + "'s name is outside its string table");
    if (!wanted.count(name) || found->count(name)) continue;
    found->insert(name);
    info->symbols.push_back({name, sym.st_value, sym.st_size});
  }
}

// The loadable segments (to turn addresses into file offsets), checked to
// lie inside the file. Returns the number of program headers.
size_t ReadSegments(Elf* elf, const GElf_Ehdr& ehdr, uint64_t size, const std::string& path, ElfInfo* info) {
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) != 0) Fail(path, std::string("corrupt program headers: ") + elf_errmsg(-1));
  if (phnum && (ehdr.e_phentsize != gelf_fsize(elf, ELF_T_PHDR, 1, EV_CURRENT) ||
                !InFile(ehdr.e_phoff, uint64_t(phnum) * ehdr.e_phentsize, size)))
    Fail(path, "corrupt program headers: the table is not inside the file (truncated?)");
  for (size_t i = 0; i < phnum; i++) {
    GElf_Phdr ph;
    if (!gelf_getphdr(elf, i, &ph)) Fail(path, std::string("corrupt program header: ") + elf_errmsg(-1));
    if (ph.p_type == PT_INTERP) info->interpreter = true;
    if (ph.p_type != PT_LOAD) continue;
    if (!InFile(ph.p_offset, ph.p_filesz, size))
      Fail(path, "loadable segment " + std::to_string(i) + " runs past the end of the file (truncated?)");
    info->segments.push_back({ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz, ph.p_flags});
  }
  return phnum;
}

// Where the header tables are, and how big the file is: what a section
// header is checked against.
struct Layout {
  uint64_t size, ph_from, ph_to, sh_from, sh_to;
  size_t phnum, shnum;
};

// One section header, as readelf checks it: inside the file, entries of its
// table's size, links to existing sections, clear of the header tables (a
// count or an offset that overlaps them has other bytes read as headers).
void CheckSection(Elf* elf, const GElf_Shdr& sh, size_t index, const Layout& l, const std::string& path) {
  if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL && !InFile(sh.sh_offset, sh.sh_size, l.size))
    Fail(path, "section " + std::to_string(index) +
                   " runs past the end of the file (truncated, or a corrupt section header)");
  Elf_Type fixed = sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM ? ELF_T_SYM
                   : sh.sh_type == SHT_REL                              ? ELF_T_REL
                   : sh.sh_type == SHT_RELA                             ? ELF_T_RELA
                                                                        : ELF_T_NUM;
  if (fixed != ELF_T_NUM && sh.sh_entsize != gelf_fsize(elf, fixed, 1, EV_CURRENT))
    Fail(path, "corrupt section header " + std::to_string(index) + ": entry size " +
                   std::to_string(sh.sh_entsize) + " is not its table's");
  if (sh.sh_type != SHT_NOBITS && sh.sh_size &&
      ((l.phnum && sh.sh_offset < l.ph_to && l.ph_from < sh.sh_offset + sh.sh_size) ||
       (sh.sh_offset < l.sh_to && l.sh_from < sh.sh_offset + sh.sh_size)))
    Fail(path, "corrupt headers: a header table overlaps section " + std::to_string(index));
  if (sh.sh_link >= l.shnum)
    Fail(path, "corrupt section header " + std::to_string(index) + ": it links to section " +
                   std::to_string(sh.sh_link) + ", past the last (" + std::to_string(l.shnum - 1) + ")");
}

}  // namespace

ElfInfo ReadElfInfo(const std::string& path, const std::vector<std::string>& wanted_symbols) {
  if (elf_version(EV_CURRENT) == EV_NONE) Fail(path, "libelf is unusable");
  ElfHandle h;
  h.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (h.fd < 0) {
    int err = errno;
    if (err == EACCES || err == EPERM)
      Fail(path, "permission denied: run as root, or as a user who can read the file", "PYTRACE_PERMISSION",
           err);
    if (err == ENOENT || err == ENOTDIR) Fail(path, "no such file", "PYTRACE_BAD_ELF", err);
    Fail(path, strerror(err), "PYTRACE_BAD_ELF", err);
  }
  struct stat st;
  if (fstat(h.fd, &st) != 0) Fail(path, strerror(errno), "PYTRACE_BAD_ELF", errno);
  if (!S_ISREG(st.st_mode)) Fail(path, "not a regular file");
  uint64_t size = st.st_size;
  h.elf = elf_begin(h.fd, ELF_C_READ_MMAP, nullptr);
  if (!h.elf || elf_kind(h.elf) != ELF_K_ELF) Fail(path, "not an ELF file");

  GElf_Ehdr ehdr;
  if (!gelf_getehdr(h.elf, &ehdr)) Fail(path, std::string("corrupt ELF header: ") + elf_errmsg(-1));
  bool is64 = gelf_getclass(h.elf) == ELFCLASS64;
  // The notes' addresses are read as this machine's words.
  if (ehdr.e_ident[EI_DATA] != (__BYTE_ORDER == __LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB))
    Fail(path, "its byte order is not this machine's");
  ElfInfo info;
  info.shared = ehdr.e_type == ET_DYN;
  info.machine = ehdr.e_machine;

  size_t phnum = ReadSegments(h.elf, ehdr, size, path, &info);

  size_t shnum = 0, shstrndx = 0;
  if (elf_getshdrnum(h.elf, &shnum) != 0)
    Fail(path, std::string("corrupt section headers: ") + elf_errmsg(-1));
  if (shnum == 0 && ehdr.e_shoff != 0)
    Fail(path, "corrupt section headers: none readable at the offset the header gives (truncated?)");
  if (shnum == 0) {
    // Section headers stripped (or their offset zeroed): the notes, which no
    // segment maps, cannot be found.
    info.problems.push_back({0, "", "it has no section headers, so its notes cannot be read"});
    return info;
  }
  if (ehdr.e_shentsize != gelf_fsize(h.elf, ELF_T_SHDR, 1, EV_CURRENT) ||
      !InFile(ehdr.e_shoff, uint64_t(shnum) * ehdr.e_shentsize, size))
    Fail(path, "corrupt section headers: the table is not inside the file (truncated?)");
  GElf_Shdr names;
  if (elf_getshdrstrndx(h.elf, &shstrndx) != 0 || shstrndx == SHN_UNDEF || shstrndx >= shnum ||
      !gelf_getshdr(elf_getscn(h.elf, shstrndx), &names) || names.sh_type != SHT_STRTAB)
    Fail(path, "corrupt section headers: no section name table");
  // The table names itself by the name the ELF standard reserves for it (or
  // .strtab, which LLVM shares with the symbol names): another table, or its
  // contents moved, would name every section wrongly.
  const char* names_name = elf_strptr(h.elf, shstrndx, names.sh_name);
  if (!names_name || (strcmp(names_name, ".shstrtab") && strcmp(names_name, ".strtab")))
    Fail(path, "corrupt section headers: the section name table does not name itself .shstrtab");
  Layout layout{size,
                ehdr.e_phoff,
                ehdr.e_phoff + uint64_t(phnum) * ehdr.e_phentsize,
                ehdr.e_shoff,
                ehdr.e_shoff + uint64_t(shnum) * ehdr.e_shentsize,
                phnum,
                shnum};
  std::unordered_set<std::string> wanted(wanted_symbols.begin(), wanted_symbols.end());
  std::unordered_set<std::string> found;
  size_t index = 0;
  for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(h.elf, scn));) {
    index = elf_ndxscn(scn);
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh))
      Fail(path, "corrupt section header " + std::to_string(index) + ": " + elf_errmsg(-1));
    CheckSection(h.elf, sh, index, layout, path);
    const char* name = elf_strptr(h.elf, shstrndx, sh.sh_name);
    if (!name)
      Fail(path, "corrupt section header " + std::to_string(index) +
                     ": its name is outside the section name table");
    for (const char* s : kSections)
      if (!strcmp(name, s)) info.sections.push_back({name, sh.sh_addr, sh.sh_offset, sh.sh_size});

    // Every note section is read, as readelf -n does: a stapsdt note is one by
    // its owner and type, wherever it is.
    if (sh.sh_type == SHT_NOTE) {
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (!data) Fail(path, "section " + std::string(name) + " is unreadable: " + elf_errmsg(-1));
      if (data->d_size) ReadNotes(data, sh, name, is64, &info);
      // Linkers drop empty sections: an empty one had its size zeroed.
      else if (!strcmp(name, kNoteSection))
        info.problems.push_back({sh.sh_offset, "", "section .note.stapsdt is empty"});
    } else if (!strcmp(name, kNoteSection)) {
      info.problems.push_back({sh.sh_offset, "",
                               "section " + std::string(kNoteSection) + " is not a note section (type " +
                                   std::to_string(sh.sh_type) + "): its notes are skipped"});
    }

    // .symtab first, .dynsym as well: a stripped binary keeps only the latter.
    if (!wanted.empty() && (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM))
      ReadSymbols(h.elf, scn, sh, path, wanted, &found, &info);
  }
  if (index + 1 != shnum)
    Fail(path, "corrupt section headers: " + std::to_string(index + 1) + " of " + std::to_string(shnum) +
                   " readable");
  return info;
}

}  // namespace pytrace
