/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package manager

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/catalog"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/controller"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/fetch"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/feeds/follow"
)

// FeedOptions configure the vendor feeds the manager follows.
type FeedOptions struct {
	// Enabled are the --feeds words: preset names, "presets", "url". None: no feed
	// is fetched, so a cluster without internet access neither fetches nor logs.
	Enabled []string
	// Namespace holds the accepted copies; empty: the pod's own namespace.
	Namespace string
	// Interval is the minimum time between two fetches of one URL.
	Interval time.Duration
	// CABundle is a PEM file of certificates trusted besides the system's.
	CABundle string
}

const serviceAccountNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// feedWiring is what the controllers take from the feeds.
type feedWiring struct {
	feeds          *follow.Feeds
	allowlistFeeds chan event.GenericEvent
	vendorFeeds    chan event.GenericEvent
}

// feedCache watches the feed copies of the operator's namespace, for approvals.
func (o FeedOptions) feedCache(opts *cache.Options) error {
	if len(o.Enabled) == 0 {
		return nil
	}
	ns, err := o.namespace()
	if err != nil {
		return err
	}
	copies, err := labels.NewRequirement(fetch.FeedLabel, selection.Exists, nil)
	if err != nil {
		return err
	}
	if opts.ByObject == nil {
		opts.ByObject = map[client.Object]cache.ByObject{}
	}
	opts.ByObject[&corev1.ConfigMap{}] = cache.ByObject{
		Namespaces: map[string]cache.Config{ns: {}},
		Label:      labels.NewSelector().Add(*copies),
	}
	return nil
}

func (o FeedOptions) namespace() (string, error) {
	if o.Namespace != "" {
		return o.Namespace, nil
	}
	b, err := os.ReadFile(serviceAccountNamespace)
	if err != nil || strings.TrimSpace(string(b)) == "" {
		return "", fmt.Errorf("--feeds needs the namespace to keep the accepted feed copies in: give --feed-namespace (outside a pod, %s is not there)", serviceAccountNamespace)
	}
	return strings.TrimSpace(string(b)), nil
}

// addFeeds builds the feeds' fetcher, scheduler and follower when any feed is enabled,
// registers the built-in vendors' feed-backed groups, and the approval controller.
func (o Options) addFeeds(mgr ctrl.Manager, registry prometheus.Registerer, builtin *catalog.Catalog, recorder events.EventRecorder) (*feedWiring, error) {
	enabled, err := follow.ParseEnabled(o.Feeds.Enabled)
	if err != nil || !enabled.Any() {
		return nil, err
	}
	ns, err := o.Feeds.namespace()
	if err != nil {
		return nil, err
	}
	fo := fetch.Options{Guard: o.Guard()}
	if o.Feeds.CABundle != "" {
		if fo.CABundle, err = fetch.LoadCABundle(o.Feeds.CABundle); err != nil {
			return nil, fmt.Errorf("--feed-ca-bundle: %w", err)
		}
	}
	fetcher, err := fetch.New(fo)
	if err != nil {
		return nil, err
	}
	metrics, err := fetch.NewMetrics(registry)
	if err != nil {
		return nil, fmt.Errorf("registering feed metrics: %w", err)
	}
	store := &fetch.ConfigMapStore{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Namespace: ns}
	w := &feedWiring{allowlistFeeds: controller.FeedChannel(), vendorFeeds: controller.FeedChannel()}
	var feeds *follow.Feeds
	scheduler := fetch.NewScheduler(fetcher, fetch.SchedulerOptions{
		Interval: o.Feeds.Interval, Store: follow.LoadOnly(store), Metrics: metrics,
		OnUpdate: func(u fetch.Update) { feeds.Update(context.Background(), u) },
	})
	feeds = follow.New(follow.Options{
		Scheduler: scheduler, Store: store, Enabled: enabled, Guard: o.Guard(), Bounds: o.VendorChanges,
		StaleAfter: 3 * max(o.Feeds.Interval, fetch.DefaultRetryInterval), Metrics: metrics,
		Approvals: func(ctx context.Context, url string) (string, error) {
			var cm corev1.ConfigMap
			err := mgr.GetClient().Get(ctx, client.ObjectKey{Namespace: ns, Name: fetch.ConfigMapName(url)}, &cm)
			return cm.Annotations[v1alpha1.FeedApproveAnnotation], client.IgnoreNotFound(err)
		},
		Notify: func(vendors []string) {
			for _, v := range vendors {
				w.allowlistFeeds <- event.GenericEvent{Object: controller.VendorObject(v)}
				w.vendorFeeds <- event.GenericEvent{Object: controller.VendorObject(v)}
			}
		},
		Event: func(url, reason, message string) { controller.RecordFeedEvent(recorder, ns, url, reason, message) },
	})
	w.feeds = feeds
	if err := mgr.Add(scheduler); err != nil {
		return nil, err
	}
	if err := mgr.Add(builtinFeeds{feeds: feeds, builtin: builtin, reader: mgr.GetAPIReader()}); err != nil {
		return nil, err
	}
	approvals := &controller.FeedApprovalReconciler{Client: mgr.GetClient(), Rejudge: feeds.Rejudge}
	return w, approvals.SetupWithManager(mgr)
}

// builtinFeeds follows the built-in vendors' feed-backed groups once the manager leads;
// a Vendor object of the same name replaces them when the Vendor controller sees it,
// and SetBuiltin leaves alone a vendor the controller set first (an object created
// after the list below).
type builtinFeeds struct {
	feeds   *follow.Feeds
	builtin *catalog.Catalog
	reader  client.Reader
}

func (b builtinFeeds) NeedLeaderElection() bool { return true }

func (b builtinFeeds) Start(ctx context.Context) error {
	var objects v1alpha1.VendorList
	if err := b.reader.List(ctx, &objects); err != nil {
		return fmt.Errorf("listing Vendors before following the built-in feeds: %w", err)
	}
	replaced := map[string]bool{}
	for _, v := range objects.Items {
		replaced[v.Name] = true
	}
	for _, v := range b.builtin.Vendors() {
		if replaced[v.Name] {
			continue // the Vendor controller follows the object's feeds
		}
		if err := b.feeds.SetBuiltin(ctx, v.Name, &v.Spec); err != nil {
			ctrl.Log.Error(err, "Following a built-in vendor's feeds", "vendor", v.Name)
		}
	}
	<-ctx.Done()
	return nil
}
