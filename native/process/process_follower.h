// Acts on the process records (fork, exit) as the poll thread reads them,
// before they go on to JS: a traced child gets its uprobes, then is continued
// if the kernel held it; an untraced child has its inherited breakpoints and
// semaphores taken out, so it runs at full speed.
#pragma once
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "../stream/record_sink.h"
#include "process_links.h"

namespace pytrace {

class BpfSession;

class ProcessFollower : public RecordSink {
 public:
  ProcessFollower(RecordSink* next, BpfSession& session) : next_(next), session_(session) {}
  ~ProcessFollower() override;

  void Record(const void* data, size_t size) override;
  void Flush() override;
  void TargetExited() override { next_->TargetExited(); }

  // Before the session detaches: children's uprobes go, nothing new is attached.
  void Stop();
  // After the last record: continues any child still held (its record was lost).
  void ReleaseHeld();
  // JS is done with an exec into another program: the process goes on.
  void Resume(int pid);

 private:
  void OnFork(int child, uint32_t flags);
  void OnExit(int pid);
  void OnNewMainThread(int pid, bool held);
  void OnExec(int pid, uint32_t flags);
  void CloseLater(ProcessLinks links);
  void FindUnseenChildren();

  RecordSink* next_;
  BpfSession& session_;
  std::mutex mu_;
  bool stopped_ = false;
  std::map<int, ProcessLinks> children_;
  std::set<int> seen_;         // children whose fork record came (continued if held)
  std::set<int> held_for_js_;  // exec'd another program: JS decides, then resumes
  std::vector<std::thread> closers_;
  uint64_t kernel_lost_ = 0;
};

}  // namespace pytrace
