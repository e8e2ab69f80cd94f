//go:build !unix

package atomicfile

// SyncDir does nothing where a directory cannot be opened to be synced
// (Windows).
func SyncDir(dir string) error { return nil }
