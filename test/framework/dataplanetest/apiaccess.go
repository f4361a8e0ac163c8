/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplanetest

import (
	"path/filepath"
)

// KubeconfigIn gives a program that runs inside an endpoint's namespace (an ingress
// controller in a pod, say) the API server: it starts a proxy on the endpoint's own
// loopback, as the node's programs have, and writes an admin kubeconfig pointed at
// it. The endpoint gets no route to the machine; the proxy stops when the endpoint is
// removed.
func (d *Dataplane) KubeconfigIn(e *Endpoint) (string, error) {
	path := filepath.Join(d.cfg.LogDir, sanitize(e.Name)+".kubeconfig")
	p, err := d.proxiedKubeconfig(e.ns, path)
	if err != nil {
		return "", err
	}
	e.mu.Lock()
	e.closers = append(e.closers, closerFunc(func() error { p.close(); return nil }))
	e.mu.Unlock()
	return path, nil
}

// Assets is the directory of the dataplane's programs (VAO_DATAPLANE_ASSETS), for a
// suite that runs one of them itself (traefik).
func (d *Dataplane) Assets() string { return d.cfg.Assets }
