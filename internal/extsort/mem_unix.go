//go:build unix

package extsort

import "syscall"

// offHeap returns n bytes of zeroed memory mapped outside the Go heap, or
// nil if it cannot (see newBuffer). freeOffHeap unmaps it.
func offHeap(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	return b
}

func freeOffHeap(b []byte) { syscall.Munmap(b) }
