//go:build bench

/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
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

// ---- readiness ----

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

// poller checks readiness with Lists, never a per-object GET: it follows a phase
// with watches (follow) and confirms their verdict once with a poll. A poll is one
// List of the run's allowlists as a server-side Table (just the Ready column, no
// objects); once every row says Ready, one full List of the allowlists
// (observedGeneration == generation, Ready=True for it) and one metadata-only List
// of the managed policies.
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

// ---- readiness, followed with watches ----

// follow starts following the run's allowlists and the managed policies with one
// watch each, and returns once both initial Lists are read: call it before the
// timed phase begins, so that the Lists are not timed.
//
// A phase used to end at the first poll that found it done. At 10,000 allowlists a
// poll cost the API server about 300 ms of CPU, and a phase was polled every 0.5 s
// for as long as it ran: a slower phase was polled more, and the polls slowed what
// they timed. A watch costs the API server one event per write, the same in a cold
// start and in its floor whatever either lasts. The allowlists are watched as
// server-side Table rows (the Ready column and the object's metadata) and the
// policies as metadata: encodings the manager does not ask for, so the API server
// encodes every event for the benchmark alone in both phases, and neither phase
// borrows an encoding the other pays for.
func (p *poller) follow(ctx context.Context) (*readinessWatch, error) {
	w := &readinessWatch{p: p, ready: map[string]bool{}, present: map[string]bool{}, changed: make(chan struct{}, 1), failed: make(chan error, 2)}
	allowlists := watchedList{
		path:     "/apis/" + v1alpha1.GroupVersion.String() + "/vendorallowlists",
		selector: runLabel + "=" + p.run,
		accept:   "application/json;as=Table;v=v1;g=meta.k8s.io",
		extra:    map[string]string{"includeObject": "Metadata"},
		apply:    w.applyAllowlists,
	}
	policies := watchedList{
		path:        "/apis/" + networkingv1.SchemeGroupVersion.String() + "/networkpolicies",
		selector:    v1alpha1.ManagedByLabel + "=" + v1alpha1.ManagedByValue,
		accept:      "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
		watchAccept: "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
		apply:       w.applyPolicies,
	}
	for _, l := range []*watchedList{&allowlists, &policies} {
		rv, err := l.list(ctx, p.rc)
		if err != nil {
			return nil, err
		}
		go func() {
			if err := l.follow(ctx, p.rc, rv); err != nil && ctx.Err() == nil {
				w.failed <- err
			}
		}()
	}
	return w, nil
}

// readinessWatch is what the watches have shown so far.
type readinessWatch struct {
	p     *poller
	mu    sync.Mutex
	ready map[string]bool // allowlist "namespace/name" → its Ready column says True
	// readyColumn is the Ready column's index in the Table rows.
	readyColumn int
	present     map[string]bool // the expected policies that exist
	events      int
	changed     chan struct{}
	failed      chan error
}

func (w *readinessWatch) notify() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// applyAllowlists takes a Table (a List's, or one watch event's) of allowlists.
func (w *readinessWatch) applyAllowlists(eventType string, raw []byte) error {
	var tbl metav1.Table
	if err := json.Unmarshal(raw, &tbl); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// A watch sends the column definitions with its first event only.
	if len(tbl.ColumnDefinitions) > 0 {
		w.readyColumn = slices.IndexFunc(tbl.ColumnDefinitions, func(c metav1.TableColumnDefinition) bool { return c.Name == "Ready" })
		if w.readyColumn < 0 {
			return fmt.Errorf("the VendorAllowlist table has no Ready column: %+v", tbl.ColumnDefinitions)
		}
	}
	col := w.readyColumn
	if eventType == "" { // a List replaces what the watch showed
		clear(w.ready)
	}
	for _, row := range tbl.Rows {
		var m metav1.PartialObjectMetadata
		if err := json.Unmarshal(row.Object.Raw, &m); err != nil {
			return fmt.Errorf("a VendorAllowlist row without its metadata: %w", err)
		}
		key := m.Namespace + "/" + m.Name
		if eventType == string(watch.Deleted) {
			delete(w.ready, key)
			continue
		}
		w.ready[key] = col < len(row.Cells) && row.Cells[col] == "True"
	}
	w.events++
	w.notify()
	return nil
}

// applyPolicies takes a PartialObjectMetadataList (a List's) or a
// PartialObjectMetadata (a watch event's) of NetworkPolicies.
func (w *readinessWatch) applyPolicies(eventType string, raw []byte) error {
	var items []metav1.PartialObjectMetadata
	if eventType == "" {
		var list metav1.PartialObjectMetadataList
		if err := json.Unmarshal(raw, &list); err != nil {
			return err
		}
		items = list.Items
	} else {
		var m metav1.PartialObjectMetadata
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		items = []metav1.PartialObjectMetadata{m}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if eventType == "" {
		clear(w.present)
	}
	for _, m := range items {
		key := m.Namespace + "/" + m.Name
		if !w.p.expected[key] {
			continue
		}
		if eventType == string(watch.Deleted) {
			delete(w.present, key)
		} else {
			w.present[key] = true
		}
	}
	w.events++
	w.notify()
	return nil
}

func (w *readinessWatch) state() readiness {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := readiness{allowlists: len(w.ready), policiesExpected: len(w.p.expected), policiesPresent: len(w.present), policiesCounted: true}
	for _, ok := range w.ready {
		if ok {
			r.ready++
		}
	}
	return r
}

// wait returns when the watches first show every allowlist Ready and every
// expected policy present, and one poll (the full List of the allowlists, checking
// observedGeneration, and the policies' List) agrees; the time returned is when the
// watches showed it. It also returns the number of watch events read.
func (w *readinessWatch) wait(ctx context.Context, progress func(readiness)) (time.Time, int, error) {
	report := time.NewTicker(5 * time.Second)
	defer report.Stop()
	for {
		if r := w.state(); r.done() {
			seen := time.Now()
			confirmed, err := w.p.poll(ctx)
			if err == nil && confirmed.done() {
				w.mu.Lock()
				defer w.mu.Unlock()
				return seen, w.events, nil
			}
			// A status written Ready for an older generation: the next event settles it.
			if progress != nil {
				progress(confirmed)
			}
		}
		select {
		case <-ctx.Done():
			return time.Time{}, 0, fmt.Errorf("%w (watches: %v)", ctx.Err(), w.state())
		case err := <-w.failed:
			return time.Time{}, 0, err
		case <-report.C:
			if progress != nil {
				progress(w.state())
			}
		case <-w.changed:
		}
	}
}

// watchedList is one List and the watch that follows it, read raw from the API
// server so that it asks for exactly the encoding named.
type watchedList struct {
	path, selector, accept, watchAccept string
	extra                               map[string]string
	// apply takes the List's body (eventType "") or one event's object.
	apply func(eventType string, raw []byte) error
}

func (l *watchedList) request(rc rest.Interface, accept string) *rest.Request {
	r := rc.Get().AbsPath(l.path).Param("labelSelector", l.selector).SetHeader("Accept", accept)
	for k, v := range l.extra {
		r = r.Param(k, v)
	}
	return r
}

// list reads the whole List and returns its resourceVersion.
func (l *watchedList) list(ctx context.Context, rc rest.Interface) (string, error) {
	raw, err := l.request(rc, l.accept).DoRaw(ctx)
	if err != nil {
		return "", fmt.Errorf("listing %s: %w", l.path, err)
	}
	var meta struct {
		Metadata metav1.ListMeta `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return "", err
	}
	return meta.Metadata.ResourceVersion, l.apply("", raw)
}

// follow watches from rv until ctx ends. The API server closes a watch after its
// timeout (30 minutes or more, longer than any phase) or with an ERROR event (410
// Gone); then it lists again, which replaces what the watch showed, and watches on
// from the new List.
func (l *watchedList) follow(ctx context.Context, rc rest.Interface, rv string) error {
	accept := cmp.Or(l.watchAccept, l.accept)
	for {
		stream, err := l.request(rc, accept).Param("watch", "true").Param("resourceVersion", rv).Stream(ctx)
		if err != nil {
			return fmt.Errorf("watching %s: %w", l.path, err)
		}
		err = l.read(stream)
		stream.Close()
		if err != nil || ctx.Err() != nil {
			return err
		}
		if rv, err = l.list(ctx, rc); err != nil {
			return err
		}
	}
}

// read applies the watch's events until it ends or sends an ERROR event.
func (l *watchedList) read(stream io.Reader) error {
	dec := json.NewDecoder(stream)
	for {
		var ev metav1.WatchEvent
		if dec.Decode(&ev) != nil || ev.Type == string(watch.Error) {
			return nil
		}
		if ev.Type == string(watch.Bookmark) {
			continue
		}
		if err := l.apply(ev.Type, ev.Object.Raw); err != nil {
			return fmt.Errorf("watching %s: %w", l.path, err)
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
