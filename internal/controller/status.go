/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package controller

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/addresses"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/render"
)

// patchStatus writes the status once, and only when it changed. The cached object
// can lag behind a status this manager wrote a moment ago (a reconcile that failed,
// retried before the watch caught up), and a status update never triggers a
// reconcile; so the cached status is trusted to be current only when it matches
// what was last written, and the patch sets every status field, whatever the cache
// says was there. The response is the allowlist's metadata only: nothing reads it.
func (r *VendorAllowlistReconciler) patchStatus(ctx context.Context, original, allowlist *v1alpha1.VendorAllowlist) error {
	key := client.ObjectKeyFromObject(allowlist)
	// Equal as Go values is equal in meaning too; only a difference needs the
	// semantic comparison (times in another location), whose calls through
	// reflection allocate at every reconcile.
	unchanged := reflect.DeepEqual(original.Status, allowlist.Status) || equality.Semantic.DeepEqual(original.Status, allowlist.Status)
	if unchanged && !r.written.since(key) {
		// Nothing written since the manager started (every allowlist after a
		// restart): the cache is the truth, and the patch need not be encoded.
		return nil
	}
	body, err := statusPatch(allowlist.Status)
	if err != nil {
		return err
	}
	if unchanged && r.written.confirms(key, body) {
		return nil
	}
	if err := r.Status().Patch(ctx, partialMetadata(allowlistKind, key), client.RawPatch(types.MergePatchType, body), statusFieldOwner); err != nil {
		r.written.unknown(key) // it may have been written or not: write it next time
		return fmt.Errorf("writing status of VendorAllowlist %s/%s: %w", allowlist.Namespace, allowlist.Name, err)
	}
	r.written.remember(key, body)
	return nil
}

// statusFieldOwner names the operator as the status's field manager, as it is of
// everything else it writes. Without it the API server takes the client's user
// agent, which is the binary's file name ("manager" in the image), so the entry
// would change with how the binary is built and say nothing to whoever reads it.
var statusFieldOwner = client.FieldOwner(v1alpha1.FieldOwner)

// statusPatch is a JSON merge patch that makes the status st whatever it was before:
// every field is set, an empty one to null. The status is encoded once: which fields
// the encoder left out (empty and omitempty) is read from the value itself, and they
// are added as nulls, so the patch costs one encoding, not an encoding, a decoding
// into a map and another encoding (a status write, and the comparison with the last
// write at every reconcile after one).
func statusPatch[S any](st S) ([]byte, error) {
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encoding status: %w", err)
	}
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return nil, fmt.Errorf("encoding status: %T is not encoded as a JSON object", st)
	}
	v := reflect.ValueOf(st)
	body := make([]byte, 0, len(raw)+len(`{"status":}`)+64)
	body = append(body, `{"status":`...)
	body = append(body, raw[:len(raw)-1]...)
	hasField := len(raw) > 2
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" || !leftOut(v.Field(i), opts) {
			continue
		}
		if name == "" {
			name = f.Name // as the encoder names a field its tag does not
		}
		if hasField {
			body = append(body, ',')
		}
		body = append(body, '"')
		body = append(body, name...)
		body = append(body, `":null`...)
		hasField = true
	}
	return append(body, "}}"...), nil
}

// leftOut says whether encoding/json leaves out a field of value v with the tag
// options opts: omitempty and empty as the encoder defines it, or omitzero and zero.
func leftOut(v reflect.Value, opts string) bool {
	for opt := range strings.SplitSeq(opts, ",") {
		switch opt {
		case "omitzero":
			if v.IsZero() {
				return true
			}
		case "omitempty":
			switch v.Kind() {
			case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
				if v.Len() == 0 {
					return true
				}
			case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
				reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
				if v.IsZero() {
					return true
				}
			}
		}
	}
	return false
}

// writtenStatuses remembers, per allowlist, a digest of the status patch last
// written, or that the last write may or may not have landed.
type writtenStatuses struct {
	mu      sync.Mutex
	digests map[types.NamespacedName]*[sha256.Size]byte // nil: unknown
}

// confirms reports whether the cache can be trusted to show body as the stored
// status: nothing written since the manager started (the cache's initial list is
// the truth), or body is what was last written.
func (w *writtenStatuses) confirms(key types.NamespacedName, body []byte) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	d, ok := w.digests[key]
	return !ok || (d != nil && *d == sha256.Sum256(body))
}

// since reports whether this manager has written, or tried to write, the status
// of key since it started.
func (w *writtenStatuses) since(key types.NamespacedName) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.digests[key]
	return ok
}

func (w *writtenStatuses) remember(key types.NamespacedName, body []byte) {
	d := sha256.Sum256(body)
	w.set(key, &d)
}

func (w *writtenStatuses) unknown(key types.NamespacedName) { w.set(key, nil) }

func (w *writtenStatuses) set(key types.NamespacedName, d *[sha256.Size]byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.digests == nil {
		w.digests = map[types.NamespacedName]*[sha256.Size]byte{}
	}
	w.digests[key] = d
}

func (w *writtenStatuses) forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.digests, key)
}

// readyMessage names the policies in place, the hostnames that DNS says have no
// address (their rules are left out: the selected pods get no traffic to or from
// those hosts, and the message should say so rather than look complete), and what the
// per-hostname cap dropped.
func readyMessage(policies []networkingv1.NetworkPolicy, hostnames []v1alpha1.HostnameStatus) string {
	var none, dropped []string
	for _, h := range hostnames {
		if len(h.Addresses) == 0 {
			none = append(none, string(h.Hostname))
		}
		if h.DroppedAddresses > 0 {
			dropped = append(dropped, fmt.Sprintf("%s (%d dropped, %d kept)", h.Hostname, h.DroppedAddresses, len(h.Addresses)))
		}
	}
	names := make([]string, 0, len(policies))
	for _, p := range policies {
		names = append(names, p.Name)
	}
	msg := "NetworkPolicies " + strings.Join(names, ", ") + " are in place"
	if len(none) > 0 {
		msg += "; DNS says " + strings.Join(none, ", ") + " has no address (NXDOMAIN or no records), so the rules naming only them are left out"
	}
	if len(dropped) > 0 {
		msg += "; DNS returned more addresses than the operator keeps per hostname (--dns-max-addresses), so the longest unseen are not in the policies: " + strings.Join(dropped, ", ")
	}
	return msg
}

func conflictMessage(conflicts []string) string { return strings.Join(conflicts, "; ") }

// refusedMessage names what the tenant limits left out, and what is in place.
func refusedMessage(policies []networkingv1.NetworkPolicy, refused field.ErrorList) string {
	msgs := make([]string, 0, len(refused))
	for _, e := range refused {
		msgs = append(msgs, e.Error())
	}
	names := make([]string, 0, len(policies))
	for _, p := range policies {
		names = append(names, p.Name)
	}
	return fmt.Sprintf("Left out of the policies (%s in place), beyond what the admin lets an allowlist open: %s. "+
		"To fix: list narrower, public networks and fewer hostnames, drop clusterDNS and privateAddresses: Allow, or ask an admin to widen the limit named (a manager flag), or to open the range in a Vendor",
		strings.Join(names, ", "), strings.Join(msgs, "; "))
}

func resolvedAddresses(known map[string]addresses.Host) render.Resolved {
	out := make(render.Resolved, len(known))
	for name, h := range known {
		out[name] = h.Addresses
	}
	return out
}

// hostnameStatuses reports, for each hostname, the addresses rendered for it (DNS's
// and the published ones) and when DNS last answered. A time that moved by less than
// resolution keeps the recorded value, so that a reconcile after a refresh, which
// changed nothing else, writes no status.
func hostnameStatuses(rendered []render.RenderedHostname, known map[string]addresses.Host, recorded []v1alpha1.HostnameStatus, resolution time.Duration) []v1alpha1.HostnameStatus {
	before := recordedTimes(recorded)
	out := make([]v1alpha1.HostnameStatus, 0, len(rendered))
	for _, r := range rendered {
		name := r.Name
		h := known[name]
		was := before[name]
		st := v1alpha1.HostnameStatus{Hostname: v1alpha1.Hostname(name), BlockedAddresses: int32(h.Blocked + r.Private), DroppedAddresses: int32(h.Dropped)}
		if !h.ResolvedAt.IsZero() {
			st.LastResolved = carryOver(was.lastResolved, h.ResolvedAt, resolution)
		}
		if h.Err != nil {
			st.Error = truncate(h.Err.Error(), 1024)
		}
		for _, p := range r.Addresses {
			ra := v1alpha1.ResolvedAddress{Address: prefixString(p)}
			if seen, ok := h.LastSeen[p.Addr()]; ok && p.IsSingleIP() {
				ra.LastSeen = carryOver(was.lastSeen[ra.Address], seen, resolution)
			}
			st.Addresses = append(st.Addresses, ra)
		}
		out = append(out, st)
	}
	return out
}

type hostnameTimes struct {
	lastResolved *metav1.Time
	lastSeen     map[string]*metav1.Time
}

func recordedTimes(recorded []v1alpha1.HostnameStatus) map[string]hostnameTimes {
	out := make(map[string]hostnameTimes, len(recorded))
	for _, h := range recorded {
		t := hostnameTimes{lastResolved: h.LastResolved, lastSeen: make(map[string]*metav1.Time, len(h.Addresses))}
		for _, a := range h.Addresses {
			t.lastSeen[a.Address] = a.LastSeen
		}
		out[string(h.Hostname)] = t
	}
	return out
}

// carryOver is the recorded time when now is within resolution of it (or is it, to
// the second), else now.
func carryOver(recorded *metav1.Time, now time.Time, resolution time.Duration) *metav1.Time {
	if recorded != nil {
		if d := now.Sub(recorded.Time); (d > -resolution && d < resolution) || now.Truncate(time.Second).Equal(recorded.Time) {
			return recorded.DeepCopy()
		}
	}
	return statusTime(now)
}

// statusTime is t as the API server stores it (whole seconds), so comparing a
// freshly computed status with the stored one does not see a change that isn't.
func statusTime(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t.Truncate(time.Second))
	return &mt
}

// prefixString writes a single address without its /32 or /128.
func prefixString(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// maxEventNote is the most an events.k8s.io/v1 Event's note may hold; the API server
// refuses a longer one, and the event is lost.
const maxEventNote = 1024

func truncate(s string, n int) string { return render.Truncate(s, n) }
