//go:build bench

/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplane

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/dataplanetest"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testdns"
	"github.com/vendorallowlist/vendor-allowlist-operator/test/framework/testenv"
)

// TestBenchDNSChangeToFirstPacket measures, on the dataplane, how long a pod waits
// after a hostname moves in DNS before its first connection to the new address gets
// through: the manager's refresh (the record's TTL, which is also --dns-min-refresh),
// its policy write, and kube-router's sync, end to end. It moves the gateway hostname
// DATAPLANE_BENCH_CHANGES times (60) to an address never used before, at a random
// moment of the refresh period, and reports p50 and p99 of the whole and of its two
// halves (DNS change to the policy holding the address; policy to the first packet
// through). `make bench` runs it; it writes bench/dataplane.json (DATAPLANE_BENCH_OUT).
//
// DATAPLANE_BENCH_TTL sets the record TTL and --dns-min-refresh (1s).
func TestBenchDNSChangeToFirstPacket(t *testing.T) {
	requireDataplane(t)
	changes := envInt(t, "DATAPLANE_BENCH_CHANGES", 60)
	ttl := time.Second
	if v := os.Getenv("DATAPLANE_BENCH_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			t.Fatalf("DATAPLANE_BENCH_TTL=%q: want a duration of at least 1s", v)
		}
		ttl = d
	}
	if changes < 1 || changes > 150 {
		t.Fatalf("DATAPLANE_BENCH_CHANGES=%d: want 1 to 150 (one new address each, from 203.0.113.100)", changes)
	}

	ns := newNamespace(t, "bench")
	opa := dp.NewPod(t, ns, "opa", map[string]string{"app": "opa"})
	addrs := make([]netip.Addr, changes+1)
	addrs[0] = netip.MustParseAddr("203.0.113.100")
	for i := 1; i <= changes; i++ {
		addrs[i] = addrs[i-1].Next()
	}
	dp.NewHost(t, "bench-gateway", addrs, 443)
	mc := dataplanetest.ManagerConfig{DNSMinRefresh: ttl}
	dns, _ := startManager(t, ns, mc, testdns.WithLocalTTL(ttl), testdns.WithHost(gatewayHost, addrs[0].String()))
	const name = "docsaas-opa"
	create(t, egressAllowlist(ns, name, "opa", nil))
	dataplanetest.AwaitReach(t, settle, "the first address", allowed(opa.Endpoint, addrs[0], 443))

	seen := watchPolicyAddresses(t, ns, name)
	var total, toPolicy, toPacket []time.Duration
	for i := 1; i <= changes; i++ {
		// A random moment of the refresh period, so the samples cover all of it.
		time.Sleep(rand.N(ttl))
		changed := time.Now()
		dns.SetHost(gatewayHost, addrs[i].String())
		first, err := dataplanetest.FirstAllowed(opa.Endpoint, addrs[i], 443, 20*time.Millisecond, changed.Add(settle))
		if err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
		// The watch event of the write that opened the address normally arrives before
		// the packet, as kube-router learns of the write the same way; allow it a moment.
		written, ok := seen.when(addrs[i])
		for wait := time.Now().Add(2 * time.Second); !ok && time.Now().Before(wait); {
			time.Sleep(10 * time.Millisecond)
			written, ok = seen.when(addrs[i])
		}
		if !ok {
			t.Fatalf("change %d: the first packet got through to %s, but no policy written by then holds it", i, addrs[i])
		}
		total = append(total, first.Sub(changed))
		toPolicy = append(toPolicy, written.Sub(changed))
		toPacket = append(toPacket, first.Sub(written))
	}

	res := benchResult{
		Started: time.Now().UTC(), CPUs: runtime.NumCPU(), Changes: changes, TTLSeconds: ttl.Seconds(),
		ManagerArgs: mc.Args(), ProbeIntervalMs: 20,
		Total: summarize(total), DNSToPolicy: summarize(toPolicy), PolicyToPacket: summarize(toPacket),
	}
	t.Logf("DNS change to first packet through (%d changes, TTL and --dns-min-refresh %v):", changes, ttl)
	t.Logf("  %-42s p50 %6.3f s   p99 %6.3f s   max %6.3f s", "DNS change -> first packet through", res.Total.P50, res.Total.P99, res.Total.Max)
	t.Logf("  %-42s p50 %6.3f s   p99 %6.3f s   max %6.3f s", "  DNS change -> policy holds the address", res.DNSToPolicy.P50, res.DNSToPolicy.P99, res.DNSToPolicy.Max)
	t.Logf("  %-42s p50 %6.3f s   p99 %6.3f s   max %6.3f s", "  policy written -> first packet through", res.PolicyToPacket.P50, res.PolicyToPacket.P99, res.PolicyToPacket.Max)
	out := os.Getenv("DATAPLANE_BENCH_OUT")
	if out == "" {
		out = filepath.Join(testenv.RepoRoot(), "bench", "dataplane.json")
	}
	data, _ := json.MarshalIndent(res, "", "  ")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}

type benchResult struct {
	Started         time.Time `json:"started"`
	CPUs            int       `json:"cpus"`
	Changes         int       `json:"changes"`
	TTLSeconds      float64   `json:"ttlSeconds"`
	ManagerArgs     []string  `json:"managerArgs"`
	ProbeIntervalMs int       `json:"probeIntervalMs"`
	Total           stats     `json:"dnsChangeToFirstPacket"`
	DNSToPolicy     stats     `json:"dnsChangeToPolicy"`
	PolicyToPacket  stats     `json:"policyToFirstPacket"`
}

type stats struct {
	P50     float64   `json:"p50Seconds"`
	P99     float64   `json:"p99Seconds"`
	Max     float64   `json:"maxSeconds"`
	Samples []float64 `json:"samplesSeconds"`
}

// summarize gives nearest-rank percentiles.
func summarize(ds []time.Duration) stats {
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) float64 {
		r := int(float64(len(s))*p/100 + 0.999999999)
		return s[min(max(r, 1), len(s))-1].Seconds()
	}
	out := stats{P50: rank(50), P99: rank(99), Max: s[len(s)-1].Seconds()}
	for _, d := range ds {
		out.Samples = append(out.Samples, d.Seconds())
	}
	return out
}

// policyAddresses records when a policy of the allowlist first held each address, as
// seen through a watch (a watch event arrives within milliseconds of the write).
type policyAddresses struct {
	mu    sync.Mutex
	first map[netip.Addr]time.Time
}

func watchPolicyAddresses(t *testing.T, ns, allowlist string) *policyAddresses {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w, err := k8s.Watch(ctx, &networkingv1.NetworkPolicyList{}, client.InNamespace(ns), client.MatchingLabels{v1alpha1.AllowlistLabel: allowlist})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	p := &policyAddresses{first: map[netip.Addr]time.Time{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			np, ok := ev.Object.(*networkingv1.NetworkPolicy)
			if !ok || ev.Type == watch.Deleted {
				continue
			}
			now := time.Now()
			p.mu.Lock()
			for _, r := range np.Spec.Egress {
				for _, peer := range r.To {
					if peer.IPBlock == nil {
						continue
					}
					if pf, err := netip.ParsePrefix(peer.IPBlock.CIDR); err == nil && pf.IsSingleIP() {
						if _, ok := p.first[pf.Addr()]; !ok {
							p.first[pf.Addr()] = now
						}
					}
				}
			}
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() { w.Stop(); cancel(); <-done })
	return p
}

func (p *policyAddresses) when(a netip.Addr) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.first[a]
	return t, ok
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}
