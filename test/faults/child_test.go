/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package faults

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/dnscache"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/renderflags"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/tenancy"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// The operator under test runs as a child process: the test binary started again with
// childEnv set to a JSON childConfig and KUBECONFIG naming the control plane. The child
// builds the manager with manager.New, as cmd/main.go does, and runs it until SIGTERM.
//
// Why not the built cmd binary: it has no flag for the leader election namespace (out
// of a cluster there is no pod namespace, and controller-runtime refuses to elect
// without one) nor for the lease timings, so it cannot run the leader-election test.
// Everything past flag parsing is the same code.
const childEnv = "VAO_FAULTS_CHILD"

// childConfig is what a child manager runs with.
type childConfig struct {
	Namespaces              []string
	DNSServers              []string
	DNSTimeout              time.Duration
	DNS                     dnscache.Options
	LeaderElect             bool
	LeaderElectionID        string
	LeaderElectionNamespace string
	LeaseDuration           time.Duration
	RenewDeadline           time.Duration
	RetryPeriod             time.Duration
	QPS                     float32
	Burst                   int
	Workers                 int
}

// Lines the child prints on standard output, for the parent to follow.
const (
	lineStarting = "FAULTS-CHILD STARTING"
	lineElected  = "FAULTS-CHILD ELECTED"
	lineStopped  = "FAULTS-CHILD STOPPED"
)

// childMain is the child's main: it returns the process's exit code.
func childMain(raw string) int {
	var c childConfig
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		fmt.Fprintln(os.Stderr, "faults child: bad config:", err)
		return 2
	}
	verbosity := managerVerbosity()
	logger := zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr), zap.Level(zapcore.Level(-verbosity)),
		zap.StacktraceLevel(zapcore.PanicLevel))
	ctrl.SetLogger(logger)
	if verbosity > 0 {
		// client-go logs through klog: its client-side throttling waits, for one.
		klog.SetLogger(logger)
		fs := flag.NewFlagSet("klog", flag.ContinueOnError)
		klog.InitFlags(fs)
		_ = fs.Set("v", strconv.Itoa(verbosity))
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults child: kubeconfig:", err)
		return 2
	}
	if len(c.DNSServers) == 0 {
		// Never fall back to /etc/resolv.conf: the tests query only the local dnsmasq.
		fmt.Fprintln(os.Stderr, "faults child: no DNS server given")
		return 2
	}
	mgr, err := manager.New(cfg, manager.Options{
		MetricsAddr:             "0",
		ProbeAddr:               "0",
		LeaderElect:             c.LeaderElect,
		LeaderElectionID:        c.LeaderElectionID,
		LeaderElectionNamespace: c.LeaderElectionNamespace,
		LeaseDuration:           c.LeaseDuration,
		RenewDeadline:           c.RenewDeadline,
		RetryPeriod:             c.RetryPeriod,
		WatchNamespaces:         c.Namespaces,
		DNSServers:              c.DNSServers,
		DNSTimeout:              c.DNSTimeout,
		DNS:                     c.DNS,
		Settings:                renderflags.Settings{GuardAllow: testenv.DocumentationRanges, Limits: tenancy.Defaults()},
		QPS:                     c.QPS,
		Burst:                   c.Burst,
		Workers:                 c.Workers,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults child: manager.New:", err)
		return 2
	}
	go func() {
		<-mgr.Elected()
		// Say who leads as the Lease says it: the identity controller-runtime made up
		// (hostname_uuid) is not known otherwise. Right after the election the holder
		// is this process.
		holder := ""
		if c.LeaderElect {
			var l coordinationv1.Lease
			key := types.NamespacedName{Namespace: c.LeaderElectionNamespace, Name: c.LeaderElectionID}
			if err := mgr.GetAPIReader().Get(context.Background(), key, &l); err == nil && l.Spec.HolderIdentity != nil {
				holder = *l.Spec.HolderIdentity
			}
		}
		fmt.Println(lineElected, holder)
	}()
	fmt.Println(lineStarting)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		fmt.Fprintln(os.Stderr, "faults child: manager stopped with an error:", err)
		return 1
	}
	fmt.Println(lineStopped)
	return 0
}

// managerProc is a child manager as the parent sees it.
type managerProc struct {
	t       testing.TB
	name    string
	cmd     *exec.Cmd
	logPath string

	mu        sync.Mutex
	electedAt time.Time
	identity  string        // the Lease holder identity it reported when elected
	elected   chan struct{} // closed when the child reports it leads
	exited    chan struct{} // closed when the child has been reaped
	exitErr   error
	signalled bool // the test stopped it on purpose
}

// startManager starts a child manager against the cluster. It is killed when the test
// ends, and the end of its log is printed if the test failed (or FAULTS_MANAGER_LOGS
// is set).
func startManager(t testing.TB, c *cluster, name string, cfg childConfig) *managerProc {
	t.Helper()
	// The binary's defaults (cmd/main.go): --kube-api-qps 50, --kube-api-burst 100,
	// --workers 4.
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	if cfg.Workers == 0 {
		cfg.Workers = 4
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw), "KUBECONFIG="+c.kubeconfig)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// A process group of its own, and killed by the kernel if the test binary dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting manager %s: %v", name, err)
	}
	p := &managerProc{t: t, name: name, cmd: cmd, logPath: logPath, elected: make(chan struct{}), exited: make(chan struct{})}
	lines := make(chan struct{})
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), lineElected); ok {
				p.mu.Lock()
				if p.electedAt.IsZero() {
					p.electedAt = time.Now()
					p.identity = strings.TrimSpace(rest)
					close(p.elected)
				}
				p.mu.Unlock()
			}
		}
	}()
	go func() {
		<-lines // stdout must be drained before Wait
		err := cmd.Wait()
		logFile.Close()
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() || os.Getenv("FAULTS_MANAGER_LOGS") != "" {
			p.dumpLog(logLines())
		}
	})
	return p
}

// Running reports whether the child has not exited.
func (p *managerProc) Running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// ElectedAt is when the child reported leading (zero if it has not).
func (p *managerProc) ElectedAt() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.electedAt
}

// Identity is the Lease holder identity the child reported when elected.
func (p *managerProc) Identity() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.identity
}

// ExitError is the child's exit error once it has exited.
func (p *managerProc) ExitError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitErr
}

// waitElected waits for the child to report leading, failing the test if it exits or
// the timeout passes.
func (p *managerProc) waitElected(timeout time.Duration) {
	p.t.Helper()
	select {
	case <-p.elected:
	case <-p.exited:
		p.t.Fatalf("manager %s exited before leading: %v", p.name, p.ExitError())
	case <-time.After(timeout):
		p.t.Fatalf("manager %s did not report leading within %v", p.name, timeout)
	}
}

// requireRunning fails the test if the child has exited: a manager must stop only
// when told to.
func (p *managerProc) requireRunning() {
	p.t.Helper()
	if !p.Running() {
		p.t.Fatalf("manager %s exited on its own (%v); its log:\n%s", p.name, p.ExitError(), p.tail(60))
	}
}

// Kill sends SIGKILL to the child and waits until it is reaped.
func (p *managerProc) Kill() {
	p.mu.Lock()
	p.signalled = true
	p.mu.Unlock()
	p.kill()
}

func (p *managerProc) kill() {
	if !p.Running() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.t.Errorf("manager %s (pid %d) not reaped 30s after SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

// Stop sends SIGTERM, as the kubelet does, and returns the exit error: nil when
// manager.Start returned without error and the child exited 0.
func (p *managerProc) Stop(timeout time.Duration) error {
	p.mu.Lock()
	p.signalled = true
	p.mu.Unlock()
	if !p.Running() {
		return fmt.Errorf("manager %s had already exited: %w", p.name, p.ExitError())
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.ExitError()
	case <-time.After(timeout):
		p.kill()
		return fmt.Errorf("manager %s did not stop within %v of SIGTERM", p.name, timeout)
	}
}

// tail returns the last n lines of the child's log.
func (p *managerProc) tail(n int) string { return testenv.LogTail(p.logPath, n) }

// logContains reports whether the child's log holds s.
func (p *managerProc) logContains(s string) bool { return testenv.LogContains(p.logPath, s) }

func (p *managerProc) dumpLog(n int) {
	p.t.Logf("last %d lines of manager %s's log (%s):\n%s", n, p.name, p.logPath, p.tail(n))
}

// managerVerbosity is the log verbosity of child managers: FAULTS_MANAGER_V=N logs
// controller-runtime's and client-go's messages up to V(N) (5: every reconcile).
func managerVerbosity() int { return positiveEnv("FAULTS_MANAGER_V", 0) }

// logLines is how much of a child's log a failed test prints: FAULTS_MANAGER_LOGS=N
// asks for N lines.
func logLines() int { return positiveEnv("FAULTS_MANAGER_LOGS", 200) }

// positiveEnv is the environment variable's value if it is a positive integer, else def.
func positiveEnv(name string, def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv(name), &n); err == nil && n > 0 {
		return n
	}
	return def
}
