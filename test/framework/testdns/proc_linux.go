//go:build linux

package testdns

import "syscall"

// sysProcAttr puts dnsmasq in a process group of its own, so that Stop reaches the
// children it forks for TCP connections, and has the kernel kill it if the test binary
// dies without running its cleanups.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup signals the process group led by pgid.
func signalGroup(pgid int, sig syscall.Signal) { _ = syscall.Kill(-pgid, sig) }
