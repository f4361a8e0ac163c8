/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package statemetrics exports what the operator wrote into its objects' status as
// gauges: whether each allowlist is Ready and why not, the policies and the ingress
// targets in conflict it has, the Vendor changes and feed lists held for an admin's
// approval, the feeds' states. The status is the one truth of those facts, so the
// gauges are read from the manager's cache when Prometheus scrapes, never kept beside
// it, and the alerts and the dashboard read the same words as `kubectl describe`.
//
// The gauges are written in Prometheus's text format straight from the cache, after
// the registry's metrics on the same /metrics response, as kube-state-metrics does:
// through the client library's registry each of the three series per allowlist cost
// about 600 bytes that all lived until the response was written, 18 MiB per scrape
// at 10,000 allowlists, which raised the manager's peak RSS by 13 MiB.
//
// Label names avoid `namespace` and `name`: Prometheus gives those to the scraped
// pod's target, and would rename the operator's (exported_namespace) unless the
// scrape honours labels.
package statemetrics

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/common/expfmt"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// ReasonNotObserved is the reason label of an allowlist whose Ready condition does
// not describe its current generation (new, or changed a moment ago).
const ReasonNotObserved = "NotObserved"

// feedReasons are the states a feed-backed group can be in: each Vendor with feeds
// reports all of them, zero or not, so that an alert on one resolves to 0 rather
// than to a series that vanished.
var feedReasons = []string{
	v1alpha1.ReasonFeedCurrent, v1alpha1.ReasonFeedNotEnabled, v1alpha1.ReasonFeedPending,
	v1alpha1.ReasonFeedStale, v1alpha1.ReasonFeedHeld, v1alpha1.ReasonFeedInvalid,
}

// Family is one gauge: its name, help and label names.
type Family struct {
	Name   string
	Help   string
	Labels []string
}

var (
	allowlistReady = &Family{"vendorallowlist_allowlist_ready",
		"1 when the allowlist's Ready condition is True for its current generation, else 0; reason is the condition's reason.",
		[]string{"allowlist_namespace", "allowlist", "reason"}}
	allowlistPolicies = &Family{"vendorallowlist_allowlist_networkpolicies",
		"NetworkPolicies the allowlist has in place (status.policies).",
		[]string{"allowlist_namespace", "allowlist"}}
	targetsInConflict = &Family{"vendorallowlist_allowlist_ingress_targets_conflict",
		"Ingress targets of the allowlist in Conflict: another field manager owns what the operator would write.",
		[]string{"allowlist_namespace", "allowlist"}}
	vendorChangeHeld = &Family{"vendorallowlist_vendor_change_held",
		"1 while a change of the Vendor waits for an admin's approval (Accepted=False, ChangeHeld), else 0.",
		[]string{"vendor"}}
	vendorFeeds = &Family{"vendorallowlist_vendor_feeds",
		"The Vendor's feed-backed endpoint groups, by state (status.feeds[].reason).",
		[]string{"vendor", "reason"}}
)

// Families are the gauges the manager serves besides its registry's metrics.
func Families() []*Family {
	return []*Family{allowlistReady, allowlistPolicies, targetsInConflict, vendorChangeHeld, vendorFeeds}
}

// Sample is one gauge value with its label values, in the Family's order.
type Sample struct {
	Family *Family
	Labels []string
	Value  float64
}

// AllowlistState is what an allowlist's gauges say.
type AllowlistState struct {
	Ready     bool
	Reason    string
	Policies  int
	Conflicts int
}

// AllowlistStateOf reads an allowlist's gauges from its status.
func AllowlistStateOf(a *v1alpha1.VendorAllowlist) AllowlistState {
	s := AllowlistState{Reason: ReasonNotObserved, Policies: len(a.Status.Policies)}
	if c := meta.FindStatusCondition(a.Status.Conditions, v1alpha1.ConditionReady); c != nil && c.ObservedGeneration == a.Generation {
		s.Reason, s.Ready = c.Reason, c.Status == "True"
	}
	for _, t := range a.Status.IngressTargets {
		if t.Reason == v1alpha1.TargetReasonConflict {
			s.Conflicts++
		}
	}
	return s
}

// VendorSamples are the gauges of one Vendor object.
func VendorSamples(v *v1alpha1.Vendor) []Sample {
	held := 0.0
	if c := meta.FindStatusCondition(v.Status.Conditions, v1alpha1.ConditionAccepted); c != nil && c.Status == "False" && c.Reason == v1alpha1.ReasonChangeHeld {
		held = 1
	}
	out := []Sample{{vendorChangeHeld, []string{v.Name}, held}}
	if len(v.Status.Feeds) == 0 {
		return out
	}
	counts := map[string]int{}
	for _, f := range v.Status.Feeds {
		counts[f.Reason]++
	}
	for _, r := range feedReasons {
		out = append(out, Sample{vendorFeeds, []string{v.Name, r}, float64(counts[r])})
	}
	return out
}

// Exposition serves the gauges from the manager's cache. Only the leader reports
// (Elected is closed once it leads), as only its controllers write status and only
// its DNS metrics move: two replicas would otherwise double every count.
type Exposition struct {
	Reader  client.Reader
	Elected <-chan struct{}
	// Timeout bounds one scrape's reads of the cache.
	Timeout time.Duration
}

// textFormat is the format the registry is asked for when the gauges follow it: the
// classic text format, which ends where its last metric does (OpenMetrics ends with
// "# EOF", and the protobuf format is binary), uncompressed.
var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// Filter wraps the registry's /metrics handler (controller-runtime's metrics server
// FilterProvider): the leader's answer is the registry's metrics in the text format
// followed by the gauges.
func (e *Exposition) Filter(log logr.Logger, registry http.Handler) (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !e.elected() {
			registry.ServeHTTP(w, r)
			return
		}
		r = r.Clone(r.Context())
		r.Header.Set("Accept", string(textFormat))
		r.Header.Del("Accept-Encoding")
		status := &statusRecorder{ResponseWriter: w}
		registry.ServeHTTP(status, r)
		if status.code != http.StatusOK || r.Method == http.MethodHead {
			return // the registry's error stands, unmixed
		}
		out := bufio.NewWriterSize(w, 32<<10)
		if err := e.WriteText(r.Context(), out); err != nil {
			log.Error(err, "Writing the status metrics failed")
		}
		if err := out.Flush(); err != nil {
			log.V(1).Info("The scrape went away", "error", err.Error())
		}
	}), nil
}

func (e *Exposition) elected() bool {
	select {
	case <-e.Elected:
		return true
	default:
		return false
	}
}

// statusRecorder remembers the status the wrapped handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// WriteText writes the gauges in the text format, each family's series sorted by
// namespace and name. A failed read of one kind leaves its gauges out, rather than
// zeros that would resolve the alerts on them, and is returned once the rest is
// written.
func (e *Exposition) WriteText(ctx context.Context, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	t := &textWriter{w: w}
	var errs []error
	allowlists, err := cached[*v1alpha1.VendorAllowlist](ctx, e.Reader, &v1alpha1.VendorAllowlist{}, &v1alpha1.VendorAllowlistList{})
	if err != nil {
		errs = append(errs, fmt.Errorf("listing VendorAllowlists: %w", err))
	}
	states := func(each func(a *v1alpha1.VendorAllowlist, s AllowlistState)) {
		for _, a := range allowlists {
			each(a, AllowlistStateOf(a))
		}
	}
	if len(allowlists) > 0 {
		t.family(allowlistReady)
		states(func(a *v1alpha1.VendorAllowlist, s AllowlistState) {
			t.sample(allowlistReady, boolValue(s.Ready), a.Namespace, a.Name, s.Reason)
		})
		t.family(allowlistPolicies)
		states(func(a *v1alpha1.VendorAllowlist, s AllowlistState) {
			t.sample(allowlistPolicies, float64(s.Policies), a.Namespace, a.Name)
		})
		t.family(targetsInConflict)
		states(func(a *v1alpha1.VendorAllowlist, s AllowlistState) {
			t.sample(targetsInConflict, float64(s.Conflicts), a.Namespace, a.Name)
		})
	}
	vendors, err := cached[*v1alpha1.Vendor](ctx, e.Reader, &v1alpha1.Vendor{}, &v1alpha1.VendorList{})
	if err != nil {
		errs = append(errs, fmt.Errorf("listing Vendors: %w", err))
	}
	var samples []Sample
	for _, v := range vendors {
		samples = append(samples, VendorSamples(v)...)
	}
	for _, f := range []*Family{vendorChangeHeld, vendorFeeds} {
		t.samples(f, samples)
	}
	if t.err != nil {
		return t.err
	}
	return errors.Join(errs...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// cached lists the objects of list's kind as the cache holds them, sorted by
// namespace and name, without copying them: from the informer's store when the
// reader is a cache of one (the manager's), else through List without deep copies.
// The objects are the cache's own, for reading only.
func cached[T client.Object](ctx context.Context, r client.Reader, obj client.Object, list client.ObjectList) ([]T, error) {
	var out []T
	if objs, ok, err := fromStore(ctx, r, obj); err != nil {
		return nil, err
	} else if ok {
		out = make([]T, 0, len(objs))
		for _, o := range objs {
			if t, ok := o.(T); ok {
				out = append(out, t)
			}
		}
	} else {
		if err := r.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
			return nil, err
		}
		if err := meta.EachListItem(list, func(o runtime.Object) error {
			if t, ok := o.(T); ok {
				out = append(out, t)
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b T) int {
		return cmp.Or(strings.Compare(a.GetNamespace(), b.GetNamespace()), strings.Compare(a.GetName(), b.GetName()))
	})
	return out, nil
}

// fromStore is every object of obj's kind in the store of the cache's informer, if r
// is a cache whose informer has one (a cache of several namespaces has one per
// namespace, and answers through List).
func fromStore(ctx context.Context, r client.Reader, obj client.Object) ([]any, bool, error) {
	c, ok := r.(cache.Cache)
	if !ok {
		return nil, false, nil
	}
	informer, err := c.GetInformer(ctx, obj)
	if err != nil {
		return nil, false, err
	}
	s, ok := informer.(interface{ GetStore() toolscache.Store })
	if !ok {
		return nil, false, nil
	}
	if !informer.HasSynced() {
		// Some of the objects would be missing, and so would their alerts.
		return nil, false, fmt.Errorf("the cache of %T has not synced", obj)
	}
	return s.GetStore().List(), true, nil
}

// textWriter writes Prometheus's text format (version 0.0.4): a family's HELP and
// TYPE lines, then its series. It keeps the first error and writes nothing after it.
type textWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func (t *textWriter) family(f *Family) {
	t.buf = append(t.buf[:0], "# HELP "...)
	t.buf = append(t.buf, f.Name...)
	t.buf = append(t.buf, ' ')
	t.buf = appendEscaped(t.buf, f.Help, false)
	t.buf = append(t.buf, "\n# TYPE "...)
	t.buf = append(t.buf, f.Name...)
	t.buf = append(t.buf, " gauge\n"...)
	t.flush()
}

// sample writes one series; labelValues are in the family's label order.
func (t *textWriter) sample(f *Family, value float64, labelValues ...string) {
	t.buf = append(t.buf[:0], f.Name...)
	for i, name := range f.Labels {
		if i == 0 {
			t.buf = append(t.buf, '{')
		} else {
			t.buf = append(t.buf, ',')
		}
		t.buf = append(t.buf, name...)
		t.buf = append(t.buf, '=', '"')
		t.buf = appendEscaped(t.buf, labelValues[i], true)
		t.buf = append(t.buf, '"')
	}
	if len(f.Labels) > 0 {
		t.buf = append(t.buf, '}')
	}
	t.buf = append(t.buf, ' ')
	t.buf = strconv.AppendFloat(t.buf, value, 'g', -1, 64)
	t.buf = append(t.buf, '\n')
	t.flush()
}

// samples writes the family's samples among samples, if it has any.
func (t *textWriter) samples(f *Family, samples []Sample) {
	header := false
	for _, s := range samples {
		if s.Family != f {
			continue
		}
		if !header {
			t.family(f)
			header = true
		}
		t.sample(f, s.Value, s.Labels...)
	}
}

func (t *textWriter) flush() {
	if t.err == nil {
		_, t.err = t.w.Write(t.buf)
	}
}

// appendEscaped appends s as the text format escapes it: a backslash and a line
// break in HELP text, and a double quote too in a label value.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '"' && quote:
			b = append(b, '\\', '"')
		default:
			b = append(b, c)
		}
	}
	return b
}
