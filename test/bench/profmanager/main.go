//go:build bench

/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command profmanager is the manager of cmd/ built through the same
// internal/manager.New, with a CPU profile written when it stops and a heap profile
// taken when it is told to stop, before it lets go of its caches. The benchmark runs
// it instead of ./cmd when BENCH_PROFILE names a directory, to see where the
// manager's own CPU and memory go (docs/performance.md). It takes cmd/'s flags
// (manager.BindFlags), plus --cpuprofile and --memprofile.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/logging"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
)

func main() {
	options := manager.BindFlags(flag.CommandLine)
	var cpuProfile, memProfile string
	var memProfileRate int
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile here")
	flag.StringVar(&memProfile, "memprofile", "", "write a heap profile here when told to stop (SIGTERM, SIGINT), before the caches go")
	flag.IntVar(&memProfileRate, "memprofilerate", 0, "sample one allocation per this many bytes in the heap profile; 0: the runtime's default (512 KiB)")
	var memProfileEvery time.Duration
	flag.DurationVar(&memProfileEvery, "memprofile-every", 0, "also write a heap profile this often while the manager runs, to <memprofile>.<seconds since start>s: the stop's profile shows what stays, these what passes (a restart's reconcile of every allowlist); 0: none")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(logging.Deferred(logging.New(zapOpts)))
	o, err := options()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	manager.SetGCPercent(os.Getenv) // as cmd/main.go: the profiled manager runs as the shipped one

	if memProfileRate > 0 {
		// Finer than the default 512 KiB (32 KiB, say), so that the profile of a
		// manager whose live heap is a few tens of MiB names more than a handful of
		// sites; it costs memory and CPU of its own.
		runtime.MemProfileRate = memProfileRate
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if memProfile != "" && memProfileEvery > 0 {
		go writeHeapProfiles(memProfile, memProfileEvery)
	}
	if err := run(o, stopContext(memProfile)); err != nil {
		ctrl.Log.Error(err, "Manager stopped")
	}
}

// stopContext is cancelled on SIGTERM or SIGINT, after the heap profile, if asked
// for, is written: the manager still holds everything it caches then.
func stopContext(memProfile string) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-ch
		if memProfile != "" {
			if err := writeHeapProfile(memProfile); err != nil {
				fmt.Fprintln(os.Stderr, "heap profile:", err)
			}
		}
		cancel()
		<-ch
		os.Exit(1)
	}()
	return ctx
}

// writeHeapProfiles writes a heap profile every interval, named by the seconds since
// the start.
func writeHeapProfiles(path string, every time.Duration) {
	start := time.Now()
	for range time.Tick(every) {
		if err := writeHeapProfile(fmt.Sprintf("%s.%ds", path, int(time.Since(start).Seconds()))); err != nil {
			fmt.Fprintln(os.Stderr, "heap profile:", err)
		}
	}
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC() // the profile's in-use figures are as of the last collection
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(os.Stderr, "memstats: heap in use %d, heap idle %d, heap released %d, stacks %d, other runtime %d, sys %d, GCs %d\n",
		ms.HeapInuse, ms.HeapIdle, ms.HeapReleased, ms.StackInuse, ms.Sys-ms.HeapSys-ms.StackSys, ms.Sys, ms.NumGC)
	return pprof.Lookup("heap").WriteTo(f, 0)
}

func run(o manager.Options, ctx context.Context) error {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return err
	}
	mgr, err := manager.New(cfg, o)
	if err != nil {
		return err
	}
	return mgr.Start(ctx)
}
