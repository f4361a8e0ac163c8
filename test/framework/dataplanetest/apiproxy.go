/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplanetest

import (
	"fmt"
	"io"
	"net"
	"sync"
)

// apiProxy lets the programs in the node's namespace reach the API server, which
// listens on the machine's loopback: it listens on the node's own loopback and copies
// each connection, TLS and all, to the API server. The node gets no interface to the
// machine's namespace.
type apiProxy struct {
	listener net.Listener
	target   string
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
}

// apiProxyPort is the port on the node's loopback; the node's namespace is the
// suite's own, so a fixed port cannot collide with anything.
const apiProxyPort = "6443"

func startAPIProxy(node *Netns, target string) (*apiProxy, error) {
	var l net.Listener
	err := node.Do(func() error {
		var err error
		l, err = net.Listen("tcp4", "127.0.0.1:"+apiProxyPort)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("API server proxy in %s: %w", node.Name, err)
	}
	p := &apiProxy{listener: l, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// addr is the API server's address as the node's programs see it.
func (p *apiProxy) addr() string { return "127.0.0.1:" + apiProxyPort }

func (p *apiProxy) serve() {
	defer p.wg.Done()
	for {
		in, err := p.listener.Accept()
		if err != nil {
			return
		}
		// This goroutine is not in the node's namespace: the dial is on the
		// machine's loopback.
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.track(in, out)
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

func (p *apiProxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
}

func (p *apiProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	// One direction ended: end both, as the peer would.
	dst.Close()
	src.Close()
}

// close stops accepting, closes every open connection and waits for the copies.
func (p *apiProxy) close() {
	p.listener.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
