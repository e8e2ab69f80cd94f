package state

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// release drops the state file's pages from the process's memory map
// (madvise MADV_DONTNEED): bbolt maps the file shared and read-only, so a
// page read again comes back from the page cache; nothing is lost. A pass
// over every record (the diff of an incremental run) otherwise keeps the
// whole file resident: 120 MB for 1M keys, 1.2 GB for 10M. Called every
// releaseEvery records, it keeps a run's peak RSS flat in the number of
// keys (issue 18). The range is the pages the transaction sees, which
// bbolt keeps mapped.
func release(db *bolt.DB, tx *bolt.Tx) {
	info := db.Info()
	size := uintptr(tx.Size()) &^ uintptr(info.PageSize-1)
	if info.Data == 0 || size == 0 {
		return
	}
	syscall.Syscall(syscall.SYS_MADVISE, info.Data, size, syscall.MADV_DONTNEED)
}
