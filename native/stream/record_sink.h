// Where the poll thread puts what it reads from the kernel.
#pragma once
#include <cstddef>
#include <cstdint>

namespace pytrace {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // All called on the poll thread.
  virtual void Record(const void* data, size_t size) = 0;
  virtual void Flush() = 0;         // nothing more is pending for now
  virtual void TargetExited() = 0;  // after the last record
};

}  // namespace pytrace
