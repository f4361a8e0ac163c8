//go:build bench

/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// ---- API writes, as the kube-apiserver counts them ----

// reqKey is one series of apiserver_request_total, less the labels we do not split by.
type reqKey struct {
	Resource, Subresource, Verb, Code string
}

// reqCounts are apiserver_request_total values by series; the series of
// apiserver_request_duration_seconds_sum and _count are kept under the verbs
// "SUM:VERB" and "COUNT:VERB" (code empty), for mean latencies.
type reqCounts map[reqKey]float64

var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "DELETE": true, "APPLY": true, "DELETECOLLECTION": true}

// scrapeRequests reads the kube-apiserver's own request counter from GET /metrics.
func scrapeRequests(ctx context.Context, rc rest.Interface) (reqCounts, error) {
	raw, err := rc.Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	out := reqCounts{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	series := map[string]string{
		"apiserver_request_total{":                  "",
		"apiserver_request_duration_seconds_sum{":   "SUM:",
		"apiserver_request_duration_seconds_count{": "COUNT:",
		// The API server counts an etcd "update" only for a write that changed the
		// stored object: a PATCH that changes nothing is not one.
		"etcd_requests_total{": "ETCD:",
	}
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_") && !strings.HasPrefix(line, "etcd_requests_total") {
			continue
		}
		open := strings.IndexByte(line, '{')
		end := strings.LastIndexByte(line, '}')
		if open < 0 || end < open {
			continue
		}
		prefix, ok := series[line[:open+1]]
		if !ok {
			continue
		}
		labels := parseLabels(line[open+1 : end])
		v, err := strconv.ParseFloat(strings.Fields(line[end+1:])[0], 64)
		if err != nil {
			continue
		}
		verb := labels["verb"]
		if prefix == "ETCD:" {
			verb = labels["operation"]
		}
		k := reqKey{Resource: labels["resource"], Subresource: labels["subresource"], Verb: prefix + verb, Code: labels["code"]}
		out[k] += v
	}
	return out, sc.Err()
}

// parseLabels parses `a="x",b="y"` (Prometheus text format label values, with \" and
// \\ escapes).
func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for len(s) > 0 {
		eq := strings.IndexByte(s, '=')
		if eq < 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			break
		}
		key := strings.TrimLeft(s[:eq], ", ")
		var val strings.Builder
		i := eq + 2
		for ; i < len(s); i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				val.WriteByte(s[i])
				continue
			}
			if s[i] == '"' {
				break
			}
			val.WriteByte(s[i])
		}
		out[key] = val.String()
		if i+1 >= len(s) {
			break
		}
		s = s[i+1:]
	}
	return out
}

// sub returns c - base.
func (c reqCounts) sub(base reqCounts) reqCounts {
	out := reqCounts{}
	for k, v := range c {
		if d := v - base[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// writes sums the write requests to resource (and subresource, "*" for any).
func (c reqCounts) writes(resource, subresource string) int {
	n := 0.0
	for k, v := range c {
		if k.Resource == resource && (subresource == "*" || k.Subresource == subresource) && writeVerbs[k.Verb] {
			n += v
		}
	}
	return int(n)
}

// reads sums the read requests (GET, LIST, WATCH) to resource.
func (c reqCounts) reads(resource string) int {
	n := 0.0
	for k, v := range c {
		if k.Resource == resource && (k.Verb == "GET" || k.Verb == "LIST" || k.Verb == "WATCH") {
			n += v
		}
	}
	return int(n)
}

// breakdown lists the write series of the resources, e.g.
// "networkpolicies APPLY 200: 1300".
func (c reqCounts) breakdown(resources ...string) map[string]int {
	out := map[string]int{}
	for k, v := range c {
		if !writeVerbs[k.Verb] && k.Verb != "GET" && k.Verb != "LIST" {
			continue
		}
		for _, r := range resources {
			if k.Resource == r {
				name := k.Resource
				if k.Subresource != "" {
					name += "/" + k.Subresource
				}
				out[fmt.Sprintf("%s %s %s", name, k.Verb, k.Code)] += int(v)
			}
		}
	}
	return out
}

// latencies returns the mean server-side latency of each verb on the resources, as
// "resource[/subresource] VERB" -> milliseconds.
func (c reqCounts) latencies(resources ...string) map[string]float64 {
	out := map[string]float64{}
	for k, n := range c {
		verb, ok := strings.CutPrefix(k.Verb, "COUNT:")
		if !ok || n == 0 || verb == "WATCH" || !slices.Contains(resources, k.Resource) {
			continue
		}
		sum := c[reqKey{Resource: k.Resource, Subresource: k.Subresource, Verb: "SUM:" + verb}]
		name := k.Resource
		if k.Subresource != "" {
			name += "/" + k.Subresource
		}
		out[name+" "+verb] = math.Round(sum/n*1000*10) / 10
	}
	return out
}

// apiWrites is a phase's writes to the objects the operator owns or writes.
type apiWrites struct {
	Policies  int            `json:"networkpolicies"`
	Status    int            `json:"vendorallowlistsStatus"`
	Allowlist int            `json:"vendorallowlists"`
	Events    int            `json:"events"`
	Total     int            `json:"total"`
	ByVerb    map[string]int `json:"byVerb"`
	// EtcdUpdates counts the writes to vendorallowlists that changed the stored
	// object (etcd updates): Status - EtcdUpdates status writes changed nothing.
	EtcdUpdates int `json:"vendorallowlistEtcdUpdates"`
	// MeanLatencyMs is the API server's mean latency per verb, in milliseconds.
	MeanLatencyMs map[string]float64 `json:"meanLatencyMs"`
}

func writesOf(d reqCounts) apiWrites {
	w := apiWrites{
		Policies:      d.writes("networkpolicies", "*"),
		Status:        d.writes("vendorallowlists", "status"),
		Allowlist:     d.writes("vendorallowlists", ""),
		Events:        d.writes("events", "*"),
		ByVerb:        d.breakdown("networkpolicies", "vendorallowlists", "events"),
		MeanLatencyMs: d.latencies("networkpolicies", "vendorallowlists", "events"),
		EtcdUpdates:   int(d[reqKey{Resource: "vendorallowlists", Verb: "ETCD:update"}]),
	}
	w.Total = w.Policies + w.Status + w.Allowlist
	return w
}

// ---- DNS queries, as dnsmasq logs them ----

// dnsCounts are the queries of the code under test, by record type.
type dnsCounts struct {
	A, AAAA, Other int
	PerHostA       map[string]int
}

func (d dnsCounts) total() int { return d.A + d.AAAA + d.Other }

func (d dnsCounts) sub(base dnsCounts) dnsCounts {
	out := dnsCounts{A: d.A - base.A, AAAA: d.AAAA - base.AAAA, Other: d.Other - base.Other, PerHostA: map[string]int{}}
	for h, n := range d.PerHostA {
		out.PerHostA[h] = n - base.PerHostA[h]
	}
	return out
}

type queryCounter interface {
	QueryCounts() map[[2]string]int
}

// countDNS reads dnsmasq's log once: one reading per count took most of a minute at
// 200 hostnames, so the counts were of different moments, the steady state's window
// was longer than it said (1.39 A queries per hostname and refresh at 10,000
// allowlists) and "other" was the difference of counts taken apart.
func countDNS(s queryCounter) dnsCounts {
	d := dnsCounts{PerHostA: map[string]int{}}
	for _, h := range hostNames() {
		d.PerHostA[h] = 0
	}
	for k, n := range s.QueryCounts() {
		switch k[0] {
		case "A":
			d.A += n
			if _, ok := d.PerHostA[k[1]]; ok {
				d.PerHostA[k[1]] += n
			}
		case "AAAA":
			d.AAAA += n
		default:
			d.Other += n
		}
	}
	return d
}

// ---- the manager's process ----

// procStatus reads a field of /proc/PID/status in kB (VmHWM, VmRSS).
func procStatus(pid int, field string) (int, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.Atoi(f[0])
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// procCPU is the user+system CPU time the process has used.
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(data)
	// The command name, in parentheses, may hold spaces: fields count from after it.
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clkTck, nil
}

// ---- readiness, polled with Lists ----

// readiness is one poll's view of the workload.
type readiness struct {
	allowlists, ready, policiesPresent, policiesExpected int
	// policiesCounted: the policies are listed only once every allowlist is Ready.
	policiesCounted bool
}

func (r readiness) done() bool {
	return r.allowlists > 0 && r.ready == r.allowlists && r.policiesPresent == r.policiesExpected
}

func (r readiness) String() string {
	if !r.policiesCounted {
		return fmt.Sprintf("%d/%d allowlists ready (policies counted once all are)", r.ready, r.allowlists)
	}
	return fmt.Sprintf("%d/%d allowlists ready, %d/%d policies present", r.ready, r.allowlists, r.policiesPresent, r.policiesExpected)
}

// isReady: status.observedGeneration == generation and Ready=True for it.
func isReady(a *v1alpha1.VendorAllowlist) bool {
	c := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady)
	return a.Status.ObservedGeneration == a.Generation && c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == a.Generation
}

// poller checks readiness with Lists, never a per-object GET. Each poll is one
// List of the run's allowlists as a server-side Table (just the Ready column, no
// objects: a full List of 1,000 allowlists with their status costs the API server
// a few hundred milliseconds of CPU, and polling that every second would load the
// very server being measured); once every row says Ready, one full List of the
// allowlists (observedGeneration == generation, Ready=True for it) and one
// metadata-only List of the managed policies confirm it.
type poller struct {
	c        client.Client
	rc       rest.Interface
	run      string          // value of runLabel on the run's allowlists
	expected map[string]bool // "namespace/name" of every policy that must exist
}

// tableReady counts the run's allowlists and those whose Ready column is True.
func (p *poller) tableReady(ctx context.Context) (total, ready int, err error) {
	raw, err := p.rc.Get().AbsPath("/apis", v1alpha1.GroupVersion.Group, v1alpha1.GroupVersion.Version, "vendorallowlists").
		Param("labelSelector", runLabel+"="+p.run).
		Param("includeObject", "None").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").
		DoRaw(ctx)
	if err != nil {
		return 0, 0, err
	}
	var tbl metav1.Table
	if err := json.Unmarshal(raw, &tbl); err != nil {
		return 0, 0, err
	}
	col := slices.IndexFunc(tbl.ColumnDefinitions, func(c metav1.TableColumnDefinition) bool { return c.Name == "Ready" })
	if col < 0 {
		return 0, 0, fmt.Errorf("the VendorAllowlist table has no Ready column: %+v", tbl.ColumnDefinitions)
	}
	for _, row := range tbl.Rows {
		total++
		if col < len(row.Cells) && row.Cells[col] == "True" {
			ready++
		}
	}
	return total, ready, nil
}

func (p *poller) poll(ctx context.Context) (readiness, error) {
	var r readiness
	r.policiesExpected = len(p.expected)
	total, ready, err := p.tableReady(ctx)
	if err != nil || total == 0 || ready < total {
		r.allowlists, r.ready = total, ready
		return r, err
	}
	var list v1alpha1.VendorAllowlistList
	if err := p.c.List(ctx, &list, client.MatchingLabels{runLabel: p.run}); err != nil {
		return r, err
	}
	for i := range list.Items {
		a := &list.Items[i]
		r.allowlists++
		if isReady(a) {
			r.ready++
		}
	}
	if r.ready < r.allowlists {
		return r, nil
	}
	var policies metav1.PartialObjectMetadataList
	policies.SetGroupVersionKind(networkingv1.SchemeGroupVersion.WithKind("NetworkPolicyList"))
	if err := p.c.List(ctx, &policies, client.MatchingLabels{v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue}); err != nil {
		return r, err
	}
	r.policiesCounted = true
	for _, np := range policies.Items {
		if p.expected[np.Namespace+"/"+np.Name] {
			r.policiesPresent++
		}
	}
	return r, nil
}

// waitDone polls every interval until done, and returns when it saw it and the
// number of polls.
func (p *poller) waitDone(ctx context.Context, interval time.Duration, progress func(readiness)) (time.Time, int, error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	polls := 0
	lastReport := time.Now()
	for {
		r, err := p.poll(ctx)
		polls++
		if err == nil && r.done() {
			return time.Now(), polls, nil
		}
		if progress != nil && time.Since(lastReport) > 5*time.Second {
			progress(r)
			lastReport = time.Now()
		}
		select {
		case <-ctx.Done():
			return time.Time{}, polls, fmt.Errorf("%w (last poll: %v, err %v)", ctx.Err(), r, err)
		case <-tick.C:
		}
	}
}

// ---- statistics ----

// percentile is the nearest-rank percentile (p in (0,100]) of the values.
func percentile(values []time.Duration, p float64) time.Duration {
	if len(values) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), values...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(float64(len(s))*p/100 + 0.999999999)
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

func median(values []time.Duration) time.Duration { return percentile(values, 50) }

// ---- CPU time of the control plane, less sensitive than wall time to a noisy machine ----

// controlPlanePIDs finds the kube-apiserver and etcd that this test process started.
func controlPlanePIDs() []int {
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(data)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		comm := s[open+1 : end]
		f := strings.Fields(s[end+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == self && (comm == "kube-apiserver" || comm == "etcd") {
			out = append(out, pid)
		}
	}
	return out
}

// cpuOf sums the CPU time of the processes.
func cpuOf(pids ...int) time.Duration {
	var d time.Duration
	for _, p := range pids {
		c, _ := procCPU(p)
		d += c
	}
	return d
}
