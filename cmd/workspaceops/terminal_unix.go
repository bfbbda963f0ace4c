//go:build linux || darwin

package main

import (
	"os/signal"
	"syscall"
	"unsafe"
)

// takeTerminal makes this process the terminal's foreground process group, so that Ctrl-C
// reaches the server alone: under `make run` (which asks for it with WSO_TAKE_TERMINAL=1), make
// then sees the server end with its own status, 0 after a clean stop, instead of being
// interrupted itself and exiting 130. It does nothing when stdin is no terminal or this process
// is not in the foreground. The returned function gives the terminal back.
func takeTerminal() (giveBack func()) {
	const stdin = 0
	var fg int32
	if ioctl(stdin, syscall.TIOCGPGRP, &fg) != nil || int(fg) != syscall.Getpgrp() {
		return func() {}
	}
	signal.Ignore(syscall.SIGTTOU) // a background group may set the foreground group only so
	if syscall.Setpgid(0, 0) != nil {
		return func() {}
	}
	self := int32(syscall.Getpid())
	if ioctl(stdin, syscall.TIOCSPGRP, &self) != nil {
		_ = syscall.Setpgid(0, int(fg))
		return func() {}
	}
	return func() { _ = ioctl(stdin, syscall.TIOCSPGRP, &fg) }
}

func ioctl(fd int, req uint, pgrp *int32) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(unsafe.Pointer(pgrp))); errno != 0 {
		return errno
	}
	return nil
}
