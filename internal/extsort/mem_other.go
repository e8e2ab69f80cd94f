//go:build !unix

package extsort

func offHeap(int) []byte { return nil }

func freeOffHeap([]byte) {}
