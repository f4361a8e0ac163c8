//go:build bench

/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// results is what bench/results.json holds.
type results struct {
	Started  time.Time     `json:"started"`
	Machine  machineInfo   `json:"machine"`
	Manager  managerConfig `json:"manager"`
	Workload workloadInfo  `json:"workload"`
	// WarmUp is the untimed cold start before the pairs: its memory counts, its time
	// does not.
	WarmUp      *coldStartResult  `json:"warmUp,omitempty"`
	ColdStarts  []coldStartResult `json:"coldStarts"`
	Floors      []floorResult     `json:"floors"`
	Summary     summary           `json:"summary"`
	Breakdown   *breakdownResult  `json:"breakdown,omitempty"`
	Restart     restartResult     `json:"restart"`
	Steady      steadyResult      `json:"steadyState"`
	Propagation propagationResult `json:"propagation"`
	PeakRSS     int64             `json:"peakRSSBytes"`
	// RSSAnon and RSSFile split the steady-state manager's resident memory at its
	// end: anonymous (Go heap, stacks, runtime) and file-backed (its binary's pages,
	// which VmHWM counts too).
	RSSAnon int64 `json:"rssAnonBytes"`
	RSSFile int64 `json:"rssFileBytes"`
	// HeapLive is the manager's live heap as of its last garbage collection
	// (go_gc_heap_live_bytes), read at the end of the steady state: what it holds
	// once converged.
	HeapLive int64    `json:"heapLiveBytes"`
	Targets  []target `json:"targets"`
	Pass     bool     `json:"pass"`
	// Scale has one summary per scale point run, this one first; ScaleRuns the full
	// results of the points after the first, ScaleTargets the targets between them.
	Scale        []scalePoint `json:"scale"`
	ScaleRuns    []*results   `json:"scaleRuns,omitempty"`
	ScaleTargets []target     `json:"scaleTargets,omitempty"`

	point point
	cfg   benchConfig
}

// scalePoint is one size's figures, for the curve.
type scalePoint struct {
	Allowlists          int     `json:"allowlists"`
	Namespaces          int     `json:"namespaces"`
	Hostnames           int     `json:"hostnames"`
	Policies            int     `json:"policies"`
	Pairs               int     `json:"coldStartFloorPairs"`
	ColdStartSeconds    float64 `json:"cold_start_s"`
	FloorSeconds        float64 `json:"floor_s"`
	ColdStartFloorRatio float64 `json:"cold_start_floor_ratio"`
	PeakRSSMiB          float64 `json:"peak_rss_mib"`
	HeapLiveMiB         float64 `json:"heap_live_mib"`
	// BytesPerAllowlist is the slope of peak RSS from the previous point to this
	// one (0 for the first), HeapBytesPerAllowlist that of the live heap.
	BytesPerAllowlist     float64 `json:"bytes_per_allowlist"`
	HeapBytesPerAllowlist float64 `json:"heap_bytes_per_allowlist"`
	SteadyWrites          int     `json:"steady_state_writes"`
	QueriesPerRefreshA    float64 `json:"dns_queries_per_refresh_a"`
	QueriesPerRefreshAAAA float64 `json:"dns_queries_per_refresh_aaaa"`
	PropagationP50        float64 `json:"propagation_p50_s"`
	PropagationP99        float64 `json:"propagation_p99_s"`
	Pass                  bool    `json:"pass"`
}

func (r *results) scalePoint() scalePoint {
	return scalePoint{
		Allowlists: r.Workload.Allowlists, Namespaces: r.Workload.Namespaces, Hostnames: r.Workload.UniqueHostnames, Policies: r.Workload.Policies,
		Pairs: len(r.ColdStarts), ColdStartSeconds: r.Summary.ColdStartSeconds, FloorSeconds: r.Summary.FloorSeconds, ColdStartFloorRatio: r.Summary.Ratio,
		PeakRSSMiB: float64(r.PeakRSS) / (1 << 20), HeapLiveMiB: float64(r.HeapLive) / (1 << 20),
		SteadyWrites:       r.Steady.Writes.Policies + r.Steady.Writes.Status + r.Steady.Writes.Allowlist,
		QueriesPerRefreshA: r.Steady.PerRefreshA, QueriesPerRefreshAAAA: r.Steady.PerRefreshAAAA,
		PropagationP50: r.Propagation.P50, PropagationP99: r.Propagation.P99, Pass: r.Pass,
	}
}

// scaleCurve is the points' summaries with the slopes between them, and the slope's
// target, checked between each point and the next.
func scaleCurve(runs []*results) ([]scalePoint, []target) {
	var points []scalePoint
	var targets []target
	for i, r := range runs {
		p := r.scalePoint()
		if i > 0 {
			prev := runs[i-1]
			n := float64(r.Workload.Allowlists - prev.Workload.Allowlists)
			p.BytesPerAllowlist = float64(r.PeakRSS-prev.PeakRSS) / n
			p.HeapBytesPerAllowlist = float64(r.HeapLive-prev.HeapLive) / n
			targets = append(targets,
				target{Metric: fmt.Sprintf("Memory slope %d → %d allowlists: peak RSS per allowlist", prev.Workload.Allowlists, r.Workload.Allowlists),
					Value: fmt.Sprintf("%.0f B (%.1f KiB)", p.BytesPerAllowlist, p.BytesPerAllowlist/1024), Target: fmt.Sprintf("≤ %d KiB", maxBytesPerAllowlist>>10),
					Gate: true, Pass: p.BytesPerAllowlist <= maxBytesPerAllowlist},
				target{Metric: "Memory slope: live heap per allowlist", Value: fmt.Sprintf("%.0f B (%.1f KiB)", p.HeapBytesPerAllowlist, p.HeapBytesPerAllowlist/1024), Target: "-", Pass: true})
		}
		points = append(points, p)
	}
	return points, targets
}

type machineInfo struct {
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"goVersion"`
	Kernel    string `json:"kernel,omitempty"`
}

type managerConfig struct {
	Workers int      `json:"workers"`
	QPS     float64  `json:"kubeAPIQPS"`
	Burst   int      `json:"kubeAPIBurst"`
	Args    []string `json:"args"`
	// Env is what the benchmark adds to the manager's environment.
	Env []string `json:"env"`
}

type workloadInfo struct {
	Namespaces         int `json:"namespaces"`
	Allowlists         int `json:"allowlists"`
	HostnameAllowlists int `json:"hostnameAllowlists"`
	Policies           int `json:"policies"`
	UniqueHostnames    int `json:"uniqueHostnames"`
	TTLSeconds         int `json:"ttlSeconds"`
}

type coldStartResult struct {
	Seconds float64 `json:"seconds"`
	// ReadinessEvents: the watch events the benchmark read until it saw the phase done.
	ReadinessEvents int       `json:"readinessEvents"`
	WritesAtReady   apiWrites `json:"writesAtReady"`
	WritesSettled   apiWrites `json:"writesSettled"`
	PolicyGETs      int       `json:"networkpolicyReads"`
	DNSQueries      int       `json:"dnsQueries"`
	DNSQueriesA     int       `json:"dnsQueriesA"`
	DNSQueriesAAAA  int       `json:"dnsQueriesAAAA"`
	ManagerCPUSecs  float64   `json:"managerCPUSeconds"`
	// ControlPlaneCPUSecs is the CPU time kube-apiserver and etcd used, BenchCPUSecs
	// the benchmark's own (its readiness watches).
	ControlPlaneCPUSecs float64 `json:"controlPlaneCPUSeconds"`
	BenchCPUSecs        float64 `json:"benchCPUSeconds"`
	PeakRSS             int64   `json:"peakRSSBytes"`
	// NamespaceReadyMedian and NamespaceReadySlowest are the median and the largest
	// of the namespaces' median times to Ready, in seconds from the manager's start.
	NamespaceReadyMedian  float64 `json:"namespaceReadyMedianSeconds"`
	NamespaceReadySlowest float64 `json:"namespaceReadySlowestSeconds"`
	PoliciesChecked       int     `json:"policiesMatchingRender"`
	PoliciesTotal         int     `json:"policiesTotal"`
}

type floorResult struct {
	Parallelism         int       `json:"parallelism"`
	PoliciesOnlySeconds float64   `json:"policiesOnlySeconds"`
	LoopSeconds         float64   `json:"policiesAndStatusLoopSeconds"`
	Seconds             float64   `json:"policiesAndStatusSeconds"`
	Writes              apiWrites `json:"writes"`
	ReadinessEvents     int       `json:"readinessEvents"`
	// Watched: the floor held the manager's watches while it wrote (BENCH_FLOOR_WATCH).
	Watched bool `json:"watched"`
	// ControlPlaneCPUSecs is the CPU time kube-apiserver and etcd used, BenchCPUSecs
	// the client loop's and the readiness watches'.
	ControlPlaneCPUSecs float64 `json:"controlPlaneCPUSeconds"`
	BenchCPUSecs        float64 `json:"benchCPUSeconds"`
	Ratio               float64 `json:"ratioOperatorToFloor"`
	RatioPoliciesOnly   float64 `json:"ratioOperatorToPoliciesOnlyFloor"`
}

// summary holds the medians over the cold start / floor runs. Ratio is the median
// of each run's ratio (a cold start and its floor are measured back to back, so a
// burst of load from elsewhere on the machine touches both or neither).
type summary struct {
	ColdStartSeconds         float64 `json:"coldStartMedianSeconds"`
	FloorSeconds             float64 `json:"floorMedianSeconds"`
	FloorPoliciesOnlySeconds float64 `json:"floorPoliciesOnlyMedianSeconds"`
	Ratio                    float64 `json:"ratioMedian"`
	RatioOfMedians           float64 `json:"ratioOfMedians"`
	RatioPoliciesOnly        float64 `json:"ratioPoliciesOnlyMedian"`
}

func (r *results) summarize() {
	var cold, floor, floorPol, ratio, ratioPol []float64
	for i := range r.ColdStarts {
		cold = append(cold, r.ColdStarts[i].Seconds)
		floor = append(floor, r.Floors[i].Seconds)
		floorPol = append(floorPol, r.Floors[i].PoliciesOnlySeconds)
		ratio = append(ratio, r.Floors[i].Ratio)
		ratioPol = append(ratioPol, r.Floors[i].RatioPoliciesOnly)
	}
	r.Summary = summary{
		ColdStartSeconds: medianF(cold), FloorSeconds: medianF(floor), FloorPoliciesOnlySeconds: medianF(floorPol),
		Ratio: medianF(ratio), RatioPoliciesOnly: medianF(ratioPol),
	}
	r.Summary.RatioOfMedians = r.Summary.ColdStartSeconds / r.Summary.FloorSeconds
}

// medianF is the median (the mean of the middle two for an even count).
func medianF(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type restartResult struct {
	SettleSeconds float64   `json:"settleSeconds"`
	Writes        apiWrites `json:"writes"`
	PeakRSS       int64     `json:"peakRSSBytes"`
}

type steadyResult struct {
	Seconds          float64   `json:"seconds"`
	Rewrites         int       `json:"dnsRewrites"`
	Refreshes        float64   `json:"refreshIntervals"`
	Writes           apiWrites `json:"writes"`
	DNSQueriesA      int       `json:"dnsQueriesA"`
	DNSQueriesAAAA   int       `json:"dnsQueriesAAAA"`
	DNSQueriesOther  int       `json:"dnsQueriesOther"`
	PerRefreshA      float64   `json:"queriesPerRefreshA"`
	PerRefreshAAAA   float64   `json:"queriesPerRefreshAAAA"`
	PerHostAMin      int       `json:"perHostnameAMin"`
	PerHostAMax      int       `json:"perHostnameAMax"`
	ManagerCPUSecs   float64   `json:"managerCPUSeconds"`
	ReconcileLogDiff int       `json:"appliedLogLines"`
}

type propagationResult struct {
	Hostname     string    `json:"hostname"`
	Changes      int       `json:"changes"`
	Users        int       `json:"policiesPerChange"`
	P50          float64   `json:"p50Seconds"`
	P99          float64   `json:"p99Seconds"`
	Max          float64   `json:"maxSeconds"`
	FirstP50     float64   `json:"firstPolicyP50Seconds"`
	FirstP99     float64   `json:"firstPolicyP99Seconds"`
	TimedOut     int       `json:"timedOut"`
	AllSeconds   []float64 `json:"allPoliciesSeconds"`
	FirstSeconds []float64 `json:"firstPolicySeconds"`
	Writes       apiWrites `json:"writes"`
}

// target is one line of the table.
type target struct {
	Metric string `json:"metric"`
	Value  string `json:"value"`
	Target string `json:"target"`
	// Gate is false for informational rows; a gated row that fails fails the test.
	Gate bool `json:"gate"`
	Pass bool `json:"pass"`
}

func (r *results) add(metric, value, tgt string, pass bool) {
	r.Targets = append(r.Targets, target{Metric: metric, Value: value, Target: tgt, Gate: true, Pass: pass})
}

func (r *results) info(metric, value string) {
	r.Targets = append(r.Targets, target{Metric: metric, Value: value, Target: "-", Pass: true})
}

func (r *results) printTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tVALUE\tTARGET\tRESULT")
	for _, t := range r.Targets {
		res := "info"
		if t.Gate {
			res = "PASS"
			if !t.Pass {
				res = "FAIL"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Metric, t.Value, t.Target, res)
	}
	tw.Flush()
}

// markdown renders the table for docs/performance.md.
func (r *results) markdown() string {
	var b strings.Builder
	b.WriteString("| Metric | Value | Target | Result |\n|---|---|---|---|\n")
	for _, t := range r.Targets {
		res := "info"
		if t.Gate {
			res = "pass"
			if !t.Pass {
				res = "**FAIL**"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.Metric, t.Value, t.Target, res)
	}
	return b.String()
}

func writeJSON(path string, r *results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func secs(d time.Duration) float64 { return float64(d.Round(time.Millisecond)) / float64(time.Second) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
