#include "js_batches.h"

#include <cstring>

namespace pytrace {

struct JsMessage {
  enum Kind { kBatch, kExit, kEnd } kind;
  BatchBytes bytes;
  uint32_t records = 0;
};

namespace {
constexpr size_t kPoolSize = 8;
// A record is at most this far past the batch size when the batch is sent.
constexpr size_t kSlack = 4096;

struct PooledBuffer {
  BatchBytes bytes;
  std::shared_ptr<BufferPool> pool;
};
}  // namespace

BatchBytes BufferPool::Take() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!free_.empty()) {
      BatchBytes b = std::move(free_.back());
      free_.pop_back();
      return b;
    }
  }
  BatchBytes b;
  b.reserve(bytes_);
  return b;
}

void BufferPool::Give(BatchBytes&& buffer) {
  buffer.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  if (free_.size() < kPoolSize) free_.push_back(std::move(buffer));
}

JsBatches::JsBatches(Napi::Env env, Napi::Function callback, const BatchOptions& options)
    : options_(options), pool_(std::make_shared<BufferPool>(options.batch_bytes + kSlack)) {
  tsfn_ = Tsfn::New(env, callback, "pytrace-events", 0, 1, this);
  batch_ = pool_->Take();
}

JsBatches::~JsBatches() { Finish(); }

void JsBatches::Record(const void* data, size_t size) {
  // Records are self-delimiting (struct pt_event.size): append as they come,
  // without the padding the perf buffer adds to align samples to 8 bytes.
  uint16_t own_size;
  if (size < sizeof(own_size)) return;
  memcpy(&own_size, data, sizeof(own_size));
  if (own_size < size) size = own_size;
  size_t at = batch_.size();
  batch_.resize(at + size);
  memcpy(batch_.data() + at, data, size);
  batch_records_++;
  if (batch_.size() >= options_.batch_bytes) Flush();
}

void JsBatches::Flush() {
  if (batch_records_ == 0) return;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (pending_ >= options_.max_pending) {
      if (options_.drop_when_behind) {
        dropped_ += batch_records_;
        batch_.clear();
        batch_records_ = 0;
        lock.unlock();
        if (on_drop) on_drop();
        return;
      }
      room_.wait(lock, [&] { return pending_ < options_.max_pending || cancelled_; });
    }
    pending_++;
  }
  auto* msg = new JsMessage{JsMessage::kBatch, std::move(batch_), batch_records_};
  batch_ = pool_->Take();
  batch_records_ = 0;
  batches_++;
  Send(msg);
}

void JsBatches::TargetExited() { Send(new JsMessage{JsMessage::kExit, {}, 0}); }

void JsBatches::Send(JsMessage* msg) {
  if (tsfn_.NonBlockingCall(msg) != napi_ok) {
    if (msg->kind == JsMessage::kBatch) Delivered();
    delete msg;
  }
}

void JsBatches::Delivered() {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_--;
  room_.notify_all();
}

void JsBatches::Cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = true;
  room_.notify_all();
}

void JsBatches::Finish() {
  if (finished_) return;
  finished_ = true;
  Send(new JsMessage{JsMessage::kEnd, {}, 0});
  tsfn_.Release();
}

void JsBatches::CallJs(Napi::Env env, Napi::Function callback, JsBatches* self, JsMessage* msg) {
  if (!msg) return;
  if (msg->kind == JsMessage::kBatch && self) self->Delivered();
  if (env == nullptr || callback == nullptr) {
    delete msg;
    return;
  }
  // Node also calls this while it tears the environment down (a trace still
  // open or unref()'d when the loop ends): JS cannot run then, and every
  // napi call fails, which node-addon-api throws. What is left is dropped.
  // The JS callback itself never throws: it defers its listeners' errors.
  try {
    Deliver(env, callback, self, msg);
  } catch (const Napi::Error&) {
  }
}

void JsBatches::Deliver(Napi::Env env, Napi::Function callback, JsBatches* self, JsMessage* raw) {
  std::unique_ptr<JsMessage> msg(raw);
  static const char* const kKinds[] = {"batch", "exit", "end"};
  Napi::Value buffer = env.Undefined();
  if (msg->kind == JsMessage::kBatch) {
    // The batch's own memory becomes the ArrayBuffer: no copy. When JS lets
    // go of it, it goes back to the pool.
    auto* held = new PooledBuffer{std::move(msg->bytes), self ? self->pool_ : nullptr};
    buffer = Napi::ArrayBuffer::New(
        env, held->bytes.data(), held->bytes.size(),
        [](Napi::Env, void*, PooledBuffer* b) {
          if (b->pool) b->pool->Give(std::move(b->bytes));
          delete b;
        },
        held);
  }
  callback.Call({Napi::String::New(env, kKinds[msg->kind]), buffer, Napi::Number::New(env, msg->records)});
}

}  // namespace pytrace
