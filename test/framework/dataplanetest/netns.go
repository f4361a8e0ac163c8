/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplanetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vishvananda/netns"
)

// Netns is a network namespace the suite created with `ip netns add`. It keeps a
// handle open so that Go code can open sockets inside it (Do), and runs commands in it
// with `ip netns exec` (Run).
type Netns struct {
	Name   string
	handle netns.NsHandle
}

// newNetns creates the namespace with its loopback up and IPv6 off: the suite's
// addresses are IPv4 only, and a namespace without IPv6 sends no router solicitations
// or duplicate-address probes.
func newNetns(name string) (*Netns, error) {
	if _, err := run("ip", "netns", "add", name); err != nil {
		return nil, err
	}
	h, err := netns.GetFromName(name)
	if err != nil {
		_, _ = run("ip", "netns", "delete", name)
		return nil, fmt.Errorf("opening network namespace %s: %w", name, err)
	}
	n := &Netns{Name: name, handle: h}
	err = n.SetSysctl("net.ipv6.conf.all.disable_ipv6", "1")
	if err == nil {
		err = n.SetSysctl("net.ipv6.conf.default.disable_ipv6", "1")
	}
	if err == nil {
		_, err = n.Run("ip", "link", "set", "lo", "up")
	}
	if err != nil {
		n.delete()
		return nil, err
	}
	return n, nil
}

// Do runs fn on an OS thread that has entered the namespace, and returns fn's error.
// A socket fn opens (net.Dial, net.Listen) belongs to the namespace for its whole
// life, whichever thread uses it later. fn must not start goroutines that expect to be
// in the namespace.
func (n *Netns) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("reading this thread's network namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(n.handle); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("entering network namespace %s: %w", n.Name, err)
			return
		}
		err = fn()
		if rerr := netns.Set(orig); rerr != nil {
			// The thread is stuck in the wrong namespace: leaving it locked makes the Go
			// runtime end it with this goroutine instead of reusing it.
			errc <- errors.Join(err, fmt.Errorf("leaving network namespace %s: %w", n.Name, rerr))
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

// Run runs a command inside the namespace (ip netns exec) and returns its output.
func (n *Netns) Run(args ...string) (string, error) {
	return run(append([]string{"ip", "netns", "exec", n.Name}, args...)...)
}

// SetSysctl writes a net.* sysctl of the namespace. Those are per namespace: the
// machine's own values do not change.
func (n *Netns) SetSysctl(key, value string) error {
	if !strings.HasPrefix(key, "net.") {
		return fmt.Errorf("sysctl %s: only net.* sysctls belong to a network namespace", key)
	}
	path := filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
	return n.Do(func() error {
		// /proc/sys/net shows the namespace of the thread that opens the file.
		if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
			return fmt.Errorf("sysctl %s=%s in %s: %w", key, value, n.Name, err)
		}
		return nil
	})
}

// delete removes the namespace. What lives only in it (interfaces, routes, iptables
// rules, ipsets, conntrack entries) goes with it once no process or socket holds it.
func (n *Netns) delete() error {
	if n.handle.IsOpen() {
		_ = n.handle.Close()
	}
	if _, err := run("ip", "netns", "delete", n.Name); err != nil {
		return err
	}
	return nil
}

// run runs a command and returns its combined output, or an error that quotes it.
func run(args ...string) (string, error) {
	cmd := exec.Command(args[0], args[1:]...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
