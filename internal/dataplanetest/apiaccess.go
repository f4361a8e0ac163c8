package dataplanetest

import (
	"fmt"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
)

// KubeconfigIn gives a program that runs inside an endpoint's namespace (an ingress
// controller in a pod, say) the API server: it starts a proxy on the endpoint's own
// loopback, as the node's programs have, and writes an admin kubeconfig pointed at
// it. The endpoint gets no route to the machine; the proxy stops when the endpoint is
// removed.
func (d *Dataplane) KubeconfigIn(e *Endpoint) (string, error) {
	cfg, err := clientcmd.Load(d.cfg.Kubeconfig)
	if err != nil {
		return "", fmt.Errorf("reading the API server's kubeconfig: %w", err)
	}
	var target string
	for _, cl := range cfg.Clusters {
		target = cl.Server[len("https://"):]
	}
	p, err := startAPIProxy(e.ns, target)
	if err != nil {
		return "", err
	}
	e.mu.Lock()
	e.closers = append(e.closers, closerFunc(func() error { p.close(); return nil }))
	e.mu.Unlock()
	for _, cl := range cfg.Clusters {
		cl.Server = "https://" + p.addr()
	}
	path := filepath.Join(d.cfg.LogDir, sanitize(e.Name)+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", err
	}
	return path, nil
}

// Assets is the directory of the dataplane's programs (VAO_DATAPLANE_ASSETS), for a
// suite that runs one of them itself (traefik).
func (d *Dataplane) Assets() string { return d.cfg.Assets }
