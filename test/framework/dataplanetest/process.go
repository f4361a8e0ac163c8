/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplanetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// Process is a program the suite started: kube-router, kube-proxy, the garbage
// collector, or the manager. It runs in a process group of its own, is killed by the
// kernel if the test binary dies, and is stopped by its process id, never by name.
type Process struct {
	Name    string
	LogPath string

	cmd     *exec.Cmd
	exited  chan struct{}
	mu      sync.Mutex
	waitErr error
	stopped bool
}

// StartProcess starts bin with args, in ns when ns is not nil (with `ip netns exec`,
// which execs bin, so the process id is bin's). Its standard output and error go to
// NAME.log in logDir.
func StartProcess(name string, ns *Netns, logDir string, env []string, bin string, args ...string) (*Process, error) {
	logPath := filepath.Join(logDir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	argv := append([]string{bin}, args...)
	if ns != nil {
		argv = append([]string{"ip", "netns", "exec", ns.Name}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		logFile.Close()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(p.exited)
	}()
	return p, nil
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Running reports whether the process has not exited.
func (p *Process) Running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// ExitErr says why the process ended, with the end of its log; nil while it runs or
// if it was stopped by Stop.
func (p *Process) ExitErr() error {
	if p.Running() {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return nil
	}
	return fmt.Errorf("%s (pid %d) exited: %v; end of its log:\n%s", p.Name, p.Pid(), p.waitErr, p.Tail(30))
}

// Stop sends SIGTERM to the process and, if it has not exited after grace, SIGKILL to
// its process group (the group id is still the process's: it is not reaped yet), and
// waits until it is reaped. SIGTERM goes to the process alone: sent to the group, it would also end the
// iptables commands kube-router runs, which kube-router reports as a fatal error.
func (p *Process) Stop(grace time.Duration) {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	pid := p.Pid()
	if p.Running() {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(grace):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-p.exited
		}
	}
}

// Tail returns the last n lines of the process's log.
func (p *Process) Tail(n int) string { return testenv.LogTail(p.LogPath, n) }

// LogContains reports whether the process's log holds s.
func (p *Process) LogContains(s string) bool { return testenv.LogContains(p.LogPath, s) }

// runStdin runs a command with stdin and returns its combined output.
func runStdin(stdin string, args ...string) (string, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
