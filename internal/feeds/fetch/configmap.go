/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fetch

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
)

// The ConfigMap store's names. The annotations say what the copy is; the body is the
// binaryData key BodyKey, gzip'd.
const (
	ConfigMapPrefix = "vendorallowlist-feed-"
	BodyKey         = "body.gz"

	annotationPrefix       = "feeds.networking.vendorallowlist.io/"
	URLAnnotation          = annotationPrefix + "url"
	ETagAnnotation         = annotationPrefix + "etag"
	LastModifiedAnnotation = annotationPrefix + "last-modified"
	FetchedAtAnnotation    = annotationPrefix + "fetched-at"
	ChangedAtAnnotation    = annotationPrefix + "changed-at"
	DigestAnnotation       = annotationPrefix + "digest"
	// FeedLabel marks the operator's feed copies, so they can be listed and told
	// apart from other ConfigMaps of the namespace.
	FeedLabel = "networking.vendorallowlist.io/feed-copy"
)

// MaxStoredBytes bounds the gzip'd body in one ConfigMap: the API server refuses a
// ConfigMap whose data exceeds 1 MiB, and the annotations need room.
const MaxStoredBytes = 1<<20 - 32<<10

// ConfigMapStore keeps each feed's last good document in a ConfigMap of the operator's
// own namespace, named from a hash of the URL, the body gzip'd in binaryData and its
// validators (ETag, Last-Modified) and times in annotations. It is written with
// server-side apply under the operator's field owner.
//
// Why this copy can be trusted as input: only the manager's ServiceAccount (and
// cluster admins) can write ConfigMaps in the operator's namespace; tenants, who write
// VendorAllowlists in their own namespaces, cannot. The copy is what the manager
// itself fetched over verified TLS, checked again when read (the URL annotation must
// name the URL asked for, and the body must match its digest), and its addresses pass
// the guard again when rendered, as fresh ones do. Status, by contrast, is output:
// it is written for people to read and is never read back as input, since anyone who
// can update a Vendor's status could otherwise feed addresses in.
type ConfigMapStore struct {
	// Client writes (server-side apply) and, without Reader, reads.
	Client client.Client
	// Reader reads the ConfigMaps; the manager passes its API reader so that it does
	// not cache every ConfigMap of the namespace for one read at start.
	Reader client.Reader
	// Namespace is the operator's own namespace.
	Namespace string
	// MaxBodyBytes bounds a body read back, as the fetcher's MaxBodyBytes bounds it
	// fetched; 0: DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// ConfigMapName is the name of the ConfigMap holding url's copy.
func ConfigMapName(url string) string {
	sum := sha256.Sum256([]byte(url))
	return ConfigMapPrefix + hex.EncodeToString(sum[:])[:20]
}

// ErrTooLargeToStore is a document whose gzip'd form does not fit in a ConfigMap.
var ErrTooLargeToStore = errors.New("the feed document is too large to keep as a last-good copy")

// Load implements Store. A copy whose URL annotation names another URL, or whose body
// does not match its digest, is an error, not a document.
func (s *ConfigMapStore) Load(ctx context.Context, url string) (Snapshot, bool, error) {
	reader := s.Reader
	if reader == nil {
		reader = s.Client
	}
	name := ConfigMapName(url)
	var cm corev1.ConfigMap
	err := reader.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: name}, &cm)
	if apierrors.IsNotFound(err) {
		return Snapshot{}, false, nil
	}
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("reading the last-good copy of %s (ConfigMap %s/%s): %w", url, s.Namespace, name, err)
	}
	snap, err := decodeSnapshot(&cm, url, cmp.Or(s.MaxBodyBytes, DefaultMaxBodyBytes))
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("ConfigMap %s/%s, the last-good copy of %s: %w", s.Namespace, name, url, err)
	}
	return snap, true, nil
}

// Save implements Store.
func (s *ConfigMapStore) Save(ctx context.Context, url string, snap Snapshot) error {
	name := ConfigMapName(url)
	ac, err := encodeSnapshot(s.Namespace, name, url, snap)
	if err != nil {
		return fmt.Errorf("keeping the last-good copy of %s: %w", url, err)
	}
	if err := s.Client.Apply(ctx, ac, client.FieldOwner(v1alpha1.FieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("writing the last-good copy of %s (ConfigMap %s/%s): %w", url, s.Namespace, name, err)
	}
	return nil
}

func encodeSnapshot(namespace, name, url string, snap Snapshot) (*corev1ac.ConfigMapApplyConfiguration, error) {
	gz, err := Gzip(snap.Body)
	if err != nil {
		return nil, err
	}
	if len(gz) > MaxStoredBytes {
		return nil, fmt.Errorf("%w: %d bytes gzip'd (%d raw), over the %d a ConfigMap can hold; narrow the feed (a more specific URL) or lower the fetcher's MaxBodyBytes so such a document is refused at fetch",
			ErrTooLargeToStore, len(gz), len(snap.Body), MaxStoredBytes)
	}
	return corev1ac.ConfigMap(name, namespace).
		WithLabels(map[string]string{
			v1alpha1.ManagedByLabel: v1alpha1.ManagedByValue,
			FeedLabel:               "true",
		}).
		WithAnnotations(map[string]string{
			URLAnnotation:          url,
			ETagAnnotation:         snap.ETag,
			LastModifiedAnnotation: snap.LastModified,
			FetchedAtAnnotation:    formatTime(snap.FetchedAt),
			ChangedAtAnnotation:    formatTime(snap.ChangedAt),
			DigestAnnotation:       snap.Digest,
		}).
		WithBinaryData(map[string][]byte{BodyKey: gz}), nil
}

func decodeSnapshot(cm *corev1.ConfigMap, url string, maxBody int64) (Snapshot, error) {
	a := cm.Annotations
	if a[URLAnnotation] != url {
		return Snapshot{}, fmt.Errorf("it holds %q, not this URL", a[URLAnnotation])
	}
	body, err := gunzip(cm.BinaryData[BodyKey], maxBody)
	if err != nil {
		return Snapshot{}, fmt.Errorf("decompressing %s: %w", BodyKey, err)
	}
	if got := Digest(body); got != a[DigestAnnotation] {
		return Snapshot{}, fmt.Errorf("the body's digest %s is not the recorded %s", got, a[DigestAnnotation])
	}
	fetched, err := parseTime(a[FetchedAtAnnotation])
	if err != nil {
		return Snapshot{}, fmt.Errorf("annotation %s: %w", FetchedAtAnnotation, err)
	}
	changed, err := parseTime(a[ChangedAtAnnotation])
	if err != nil {
		return Snapshot{}, fmt.Errorf("annotation %s: %w", ChangedAtAnnotation, err)
	}
	return Snapshot{Body: body, ETag: a[ETagAnnotation], LastModified: a[LastModifiedAnnotation],
		FetchedAt: fetched, ChangedAt: changed, Digest: a[DigestAnnotation]}, nil
}

// Gzip compresses a body as the ConfigMap store keeps it.
func Gzip(body []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(body); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// gunzip decompresses at most maxBody bytes: the stored copy was no larger.
func gunzip(gz []byte, maxBody int64) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > maxBody {
		return nil, fmt.Errorf("longer than %d bytes decompressed", maxBody)
	}
	return body, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
