//go:build !unix

package state

import "os"

func unlock(*os.File) {}
