//go:build bench

/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// stoppers stops what the benchmark started (manager, dnsmasq, control plane), last
// started first, exactly once: from the test's cleanup, or from a signal handler when
// the run is interrupted (go test's own timeout kills without cleanups, which is why
// the benchmark keeps its own deadline well inside -timeout).
type stoppers struct {
	mu    sync.Mutex
	names []string
	fns   []func()
}

func (s *stoppers) add(name string, f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var once sync.Once
	s.names = append(s.names, name)
	s.fns = append(s.fns, func() { once.Do(f) })
}

func (s *stoppers) stopAll() {
	s.mu.Lock()
	fns := s.fns
	s.fns, s.names = nil, nil
	s.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// onSignal stops everything and exits when the run is interrupted.
func (s *stoppers) onSignal() (cancel func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			fmt.Fprintf(os.Stderr, "bench: %v: stopping the manager, dnsmasq and the control plane\n", sig)
			s.stopAll()
			os.Exit(2)
		case <-done:
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}

// managerProc is the manager binary running as a process of its own, so that its
// memory and CPU are its own.
type managerProc struct {
	cmd     *exec.Cmd
	pid     int
	logPath string
	exited  chan struct{}
	waitErr error
	started time.Time
	// metricsAddr is where the manager serves its metrics, pprofAddr its profiles.
	metricsAddr, pprofAddr string
}

// freeLoopbackAddr is a loopback address with a port free now.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// heapProfile is the manager's heap profile, taken after a garbage collection.
func (m *managerProc) heapProfile(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+m.pprofAddr+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", req.URL, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// heapLive is the manager's live heap as of its last garbage collection, from its
// metrics (the Go collector's go_gc_heap_live_bytes).
func (m *managerProc) heapLive(ctx context.Context) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+m.metricsAddr+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "go_gc_heap_live_bytes "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int64(f), err
		}
	}
	return 0, errors.New("no go_gc_heap_live_bytes in the manager's metrics")
}

// buildManager builds ./cmd into dir as the image builds it (internal/imagebuild and
// the Dockerfile: static, trimmed paths, no symbol table), since the memory measured
// is the binary's too: a default go build links libc and keeps its symbols, about
// 5 MiB more RSS of file-backed pages at rest. With profile it builds
// test/bench/profmanager, the same manager with profiles (their function names come
// from the runtime, not the symbol table).
func buildManager(repoRoot, dir string, profile bool) (string, error) {
	bin := filepath.Join(dir, "manager")
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd"}
	if profile {
		args = []string{"build", "-tags", "bench", "-trimpath", "-ldflags=-s -w", "-o", bin, "./test/bench/profmanager"}
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return bin, nil
}

// installEnv is the environment the default install gives the manager that matters
// to its cost: the chart and config/manager set GOMAXPROCS from the container's CPU
// limit, rounded up, and the default limit is 500m.
var installEnv = []string{"GOMAXPROCS=1"}

// managerEnv is what the benchmark adds to the manager's environment: installEnv,
// then BENCH_MANAGER_ENV's space-separated NAME=value pairs (to try a runtime
// setting, GOGC=50, on the manager and not the control plane), which win.
func managerEnv() []string {
	return append(slices.Clone(installEnv), strings.Fields(os.Getenv("BENCH_MANAGER_ENV"))...)
}

// startManager runs the manager with the kubeconfig (KUBECONFIG), args and
// managerEnv; its output goes to logPath.
func startManager(bin, kubeconfig, logPath string, args []string) (*managerProc, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	cmd.Env = append(cmd.Env, managerEnv()...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// A process group of its own, and killed by the kernel if the test binary dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	m := &managerProc{cmd: cmd, logPath: logPath, exited: make(chan struct{}), started: time.Now()}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	m.pid = cmd.Process.Pid
	go func() {
		m.waitErr = cmd.Wait()
		logFile.Close()
		close(m.exited)
	}()
	return m, nil
}

// running reports whether the process is still running.
func (m *managerProc) running() bool {
	select {
	case <-m.exited:
		return false
	default:
		return true
	}
}

// exitErr says why the manager stopped, with the end of its log.
func (m *managerProc) exitErr() error {
	if m.running() {
		return nil
	}
	return fmt.Errorf("manager exited (%v); log tail:\n%s", m.waitErr, m.logTail(40))
}

// stop sends SIGTERM and, after a grace period, SIGKILL, to the process group.
func (m *managerProc) stop() {
	if !m.running() {
		return
	}
	_ = syscall.Kill(-m.pid, syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-m.pid, syscall.SIGKILL)
		<-m.exited
	}
}

// peakRSS is the process's VmHWM in bytes.
func (m *managerProc) peakRSS() (int64, error) {
	if !m.running() {
		return 0, errors.New("manager not running")
	}
	kb, err := procStatus(m.pid, "VmHWM")
	return int64(kb) * 1024, err
}

// rssSplit is the process's resident memory now: anonymous (its heap, stacks and
// runtime) and file-backed (the pages of its binary), in bytes.
func (m *managerProc) rssSplit() (anon, file int64) {
	a, _ := procStatus(m.pid, "RssAnon")
	f, _ := procStatus(m.pid, "RssFile")
	return int64(a) * 1024, int64(f) * 1024
}

func (m *managerProc) cpu() time.Duration {
	d, _ := procCPU(m.pid)
	return d
}

// logTail returns the last n lines of the manager's log.
func (m *managerProc) logTail(n int) string { return testenv.LogTail(m.logPath, n) }

// logCount counts the log lines that contain s.
func (m *managerProc) logCount(s string) int {
	data, _ := os.ReadFile(m.logPath)
	return strings.Count(string(data), s)
}
