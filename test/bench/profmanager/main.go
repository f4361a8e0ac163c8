//go:build bench

// Command profmanager is the manager of cmd/ built through the same
// internal/manager.New, with a CPU profile written when it stops. The benchmark runs
// it instead of ./cmd when BENCH_PROFILE names a directory, to see where the
// manager's own CPU goes (docs/performance.md). It takes the subset of cmd/'s flags
// that the benchmark passes, plus --cpuprofile.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vendorallowlist/vendor-allowlist-operator/internal/manager"
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	var o manager.Options
	var dnsServers stringList
	var qps float64
	var cpuProfile string
	flag.StringVar(&o.MetricsAddr, "metrics-bind-address", "0", "")
	flag.StringVar(&o.ProbeAddr, "health-probe-bind-address", "127.0.0.1:0", "")
	flag.BoolVar(&o.LeaderElect, "leader-elect", false, "")
	flag.Var(&dnsServers, "dns-server", "")
	flag.DurationVar(&o.DNSTimeout, "dns-timeout", 2*time.Second, "")
	flag.DurationVar(&o.DNS.MinRefresh, "dns-min-refresh", 0, "")
	flag.DurationVar(&o.DNS.MaxRefresh, "dns-max-refresh", 0, "")
	flag.DurationVar(&o.DNS.Retention, "dns-retention", 0, "")
	flag.Float64Var(&qps, "kube-api-qps", 50, "")
	flag.IntVar(&o.Burst, "kube-api-burst", 100, "")
	flag.IntVar(&o.Workers, "workers", 4, "")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile here")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	o.QPS = float32(qps)
	o.DNSServers = dnsServers

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
	if err := run(o); err != nil {
		ctrl.Log.Error(err, "Manager stopped")
	}
}

func run(o manager.Options) error {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return err
	}
	mgr, err := manager.New(cfg, o)
	if err != nil {
		return err
	}
	return mgr.Start(ctrl.SetupSignalHandler())
}
