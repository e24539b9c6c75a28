#include "process_follower.h"

#include <signal.h>

#include <cstring>

#include "../attach/bpf_session.h"
#include "process_events.h"

namespace pytrace {

ProcessFollower::~ProcessFollower() {
  Stop();
  ReleaseHeld();
}

void ProcessFollower::Record(const void* data, size_t size) {
  if (size >= sizeof(pt_event)) {
    pt_event ev;
    memcpy(&ev, data, sizeof ev);
    if (ev.type == PT_EV_FORK) OnFork(static_cast<int>(ev.arg[0]), static_cast<uint32_t>(ev.arg[1]));
    if (ev.type == PT_EV_EXIT) OnExit(static_cast<int>(ev.pid));
    if (ev.type == PT_EV_EXEC) OnExec(static_cast<int>(ev.pid), static_cast<uint32_t>(ev.arg[1]));
  }
  next_->Record(data, size);
}

void ProcessFollower::Flush() {
  if (session_.subprocesses()) {
    // Every transport's losses are counted in the kernel (one map read per drain).
    uint64_t kernel_lost = session_.Counter(PT_COUNT_LOST);
    if (kernel_lost != kernel_lost_) FindUnseenChildren();
    kernel_lost_ = kernel_lost;
  }
  next_->Flush();
}

// Children the kernel follows whose fork record never came: as if it had.
void ProcessFollower::FindUnseenChildren() {
  std::vector<int> unseen;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int pid : session_.FollowedProcesses())
      if (pid != session_.pid() && !children_.count(pid)) unseen.push_back(pid);
  }
  for (int pid : unseen) OnFork(pid, PT_FORK_FOLLOWED | PT_FORK_HELD);
}

void ProcessFollower::OnFork(int child, uint32_t flags) {
  std::lock_guard<std::mutex> lock(mu_);
  // Already attached (its record came after FindUnseenChildren() found it).
  if (children_.count(child))
    flags &= ~PT_FORK_FOLLOWED;
  else if (!stopped_) {
    std::vector<AttachedUprobe> uprobes = session_.AttachedUprobes();
    ProcessLinks links;
    if (flags & PT_FORK_FOLLOWED) {
      // Kept even if one failed: the child then misses those locations only.
      session_.AddSpecIdsFor(child);
      links.Attach(uprobes, session_.multi(), child);
      children_[child] = std::move(links);
    } else {
      // The same locations for the child, with a program that sends nothing,
      // removed at once: the removal takes the breakpoints the child inherited
      // out of it, and with each one the count it raised on a semaphore.
      for (AttachedUprobe& u : uprobes) u.prog = session_.anchor_program();
      links.Attach(uprobes, session_.multi(), child);
      CloseLater(std::move(links));
    }
  }
  if (flags & PT_FORK_HELD) kill(child, SIGCONT);
  seen_.insert(child);
}

// The pid's uprobes were bound to its old main thread, and the kernel puts
// none into the new image for it. Single uprobes (perf events of that thread)
// no longer run at all: new ones for the pid. A uprobe_multi link still runs
// for the thread group once a breakpoint is there: new links that send
// nothing put them there (events sent twice otherwise, measured on 6.18).
// For the same program; JS attaches to another one it exec'd.
void ProcessFollower::OnNewMainThread(int pid, bool held) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!stopped_) {
    std::vector<AttachedUprobe> uprobes = session_.AttachedUprobes();
    ProcessLinks& links = children_[pid];  // a child's, or new for the traced pid
    if (session_.multi()) {
      for (AttachedUprobe& u : uprobes) u.prog = session_.anchor_program();
      links.Attach(uprobes, true, pid);  // beside a child's own, which still send
    } else {
      ProcessLinks fresh;
      fresh.Attach(uprobes, false, pid);
      CloseLater(std::move(links));
      links = std::move(fresh);
    }
  }
  if (held) kill(pid, SIGCONT);
}

void ProcessFollower::OnExec(int pid, uint32_t flags) {
  bool held = flags & PT_EXEC_HELD, other = flags & PT_EXEC_OTHER_PROGRAM;
  if (flags & PT_EXEC_NEW_MAIN_THREAD) OnNewMainThread(pid, held && !other);
  if (held && other) {
    std::lock_guard<std::mutex> lock(mu_);
    held_for_js_.insert(pid);
  }
}

void ProcessFollower::Resume(int pid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (held_for_js_.erase(pid)) kill(pid, SIGCONT);
}

void ProcessFollower::OnExit(int pid) {
  session_.ForgetProfiled(static_cast<uint32_t>(pid));
  std::lock_guard<std::mutex> lock(mu_);
  held_for_js_.erase(pid);
  auto it = children_.find(pid);
  seen_.erase(pid);
  if (it == children_.end()) return;
  CloseLater(std::move(it->second));
  children_.erase(it);
}

// Removing a uprobe waits for an RCU grace period: not on the poll thread.
void ProcessFollower::CloseLater(ProcessLinks links) {
  closers_.emplace_back([l = std::move(links)]() mutable { l.Close(); });
}

void ProcessFollower::Stop() {
  std::vector<std::thread> closers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    for (auto& [pid, links] : children_) CloseLater(std::move(links));
    children_.clear();
    closers.swap(closers_);
  }
  for (std::thread& t : closers) t.join();
}

void ProcessFollower::ReleaseHeld() {
  std::lock_guard<std::mutex> lock(mu_);
  for (int pid : session_.FollowedProcesses())
    if (pid != session_.pid() && !seen_.count(pid)) kill(pid, SIGCONT);
  for (int pid : held_for_js_) kill(pid, SIGCONT);
  held_for_js_.clear();
  for (std::thread& t : closers_) t.join();
  closers_.clear();
}

}  // namespace pytrace
