//go:build !linux

package state

import bolt "go.etcd.io/bbolt"

// release keeps the pages mapped where madvise is not used.
func release(*bolt.DB, *bolt.Tx) {}
