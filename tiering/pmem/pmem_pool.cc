#include "tiering/pmem/pmem_pool.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace tierkv {

namespace {
constexpr std::string_view kPoolFull = "persistent-memory pool full: ";
}  // namespace

bool IsPoolFull(const Status& status) {
  return status.code() == Code::kIoError && status.message().starts_with(kPoolFull);
}

Status PmemError(std::string_view what, int error) {
  std::string message(what);
  const char* library = pmemobj_errormsg();
  if (library != nullptr && library[0] != '\0') {
    message += ": ";
    message += library;
  } else if (error != 0) {
    message += ": ";
    message += std::strerror(error);
  }
  if (error == ENOMEM) return Status::IoError(std::string(kPoolFull) + message);
  return Status::IoError(message);
}

Result<std::unique_ptr<PmemPool>> PmemPool::OpenOrCreate(const std::string& path, std::string_view layout,
                                                         uint64_t create_size) {
  const std::string layout_name(layout);
  struct stat file;
  const bool exists = ::stat(path.c_str(), &file) == 0;
  PMEMobjpool* pool = nullptr;
  bool created = false;
  if (exists) {
    pool = pmemobj_open(path.c_str(), layout_name.c_str());
    if (pool == nullptr) {
      const int error = errno;
      if (error == EINVAL) {
        return Status::Corruption("persistent-memory pool " + path + " is refused (expected layout \"" + layout_name +
                                  "\"): " + pmemobj_errormsg());
      }
      return PmemError("cannot open persistent-memory pool " + path, error);
    }
  } else {
    if (create_size == 0) return Status::IoError("no persistent-memory pool at " + path);
    pool = pmemobj_create(path.c_str(), layout_name.c_str(), create_size, 0600);
    if (pool == nullptr) return PmemError("cannot create persistent-memory pool " + path, errno);
    created = true;
  }
  uint64_t size = 0;
  if (::stat(path.c_str(), &file) == 0) size = static_cast<uint64_t>(file.st_size);
  return std::unique_ptr<PmemPool>(new PmemPool(pool, path, size, created));
}

PmemPool::~PmemPool() { pmemobj_close(pool_); }

Result<PMEMoid> PmemPool::Root(size_t size) {
  PMEMoid root = pmemobj_root(pool_, size);
  if (OID_IS_NULL(root)) return PmemError("cannot allocate the root of " + path_, errno);
  return root;
}

PmemTransaction::~PmemTransaction() {
  if (!begun_ || ended_) return;
  if (pmemobj_tx_stage() == TX_STAGE_WORK) pmemobj_tx_abort(ECANCELED);
  (void)pmemobj_tx_end();
}

Status PmemTransaction::Begin() {
  if (pmemobj_tx_begin(pool_, nullptr, TX_PARAM_NONE) != 0) {
    // A failed begin still leaves a transaction to end.
    const int error = errno;
    (void)pmemobj_tx_end();
    return PmemError("cannot begin a persistent-memory transaction", error);
  }
  begun_ = true;
  pmemobj_tx_set_failure_behavior(POBJ_TX_FAILURE_RETURN);
  return Status::Ok();
}

Status PmemTransaction::Failed(const char* what, int error) {
  if (error == 0) error = EIO;
  if (pmemobj_tx_stage() == TX_STAGE_WORK) pmemobj_tx_abort(error);
  return PmemError(what, error);
}

Result<PMEMoid> PmemTransaction::Alloc(size_t size, uint64_t type) {
  PMEMoid oid = pmemobj_tx_xalloc(size, type, 0);
  if (OID_IS_NULL(oid)) return Failed("cannot allocate in the persistent-memory pool", errno);
  return oid;
}

Status PmemTransaction::Free(PMEMoid oid) {
  if (OID_IS_NULL(oid)) return Status::Ok();
  if (pmemobj_tx_free(oid) != 0) return Failed("cannot free in the persistent-memory pool", errno);
  return Status::Ok();
}

Status PmemTransaction::Snapshot(const void* ptr, size_t size) {
  if (pmemobj_tx_add_range_direct(ptr, size) != 0) {
    return Failed("cannot log a persistent-memory range", errno);
  }
  return Status::Ok();
}

Status PmemTransaction::AppendIntentLog(void* buffer, size_t size) {
  if (pmemobj_tx_log_append_buffer(TX_LOG_TYPE_INTENT, buffer, size) != 0) {
    return Failed("cannot give a persistent-memory transaction its log", errno);
  }
  return Status::Ok();
}

Status PmemTransaction::Commit() {
  if (pmemobj_tx_stage() == TX_STAGE_WORK) pmemobj_tx_commit();
  const int result = pmemobj_tx_end();
  ended_ = true;
  if (result != 0) return PmemError("persistent-memory transaction aborted", result);
  return Status::Ok();
}

void PmemTransaction::Abort(int error) {
  if (begun_ && !ended_ && pmemobj_tx_stage() == TX_STAGE_WORK) pmemobj_tx_abort(error);
}

}  // namespace tierkv
