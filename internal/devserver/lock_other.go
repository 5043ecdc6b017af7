//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package devserver

import "os"

// lockFile does nothing on this platform: two servers on one database file
// are not detected here.
func lockFile(*os.File) error { return nil }

// unlockFile does nothing on this platform.
func unlockFile(*os.File) error { return nil }
