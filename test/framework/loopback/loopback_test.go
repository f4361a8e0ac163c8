/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package loopback

import (
	"net"
	"strconv"
	"testing"
)

// The port FreePort returns can be bound, over UDP and TCP, on 127.0.0.1.
func TestFreePortCanBeBoundOverUDPAndTCP(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if port <= 1024 {
		t.Fatalf("port %d is privileged", port)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	pc, err := net.ListenPacket("udp4", addr)
	if err != nil {
		t.Fatalf("UDP %s: %v", addr, err)
	}
	defer pc.Close()
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		t.Fatalf("TCP %s: %v", addr, err)
	}
	l.Close()
}
