/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Package loopback finds ports on 127.0.0.1 for the local servers the tests and the
// demo run (dnsmasq answers on one port over both UDP and TCP).
package loopback

import (
	"errors"
	"net"
	"strconv"
)

// FreePort returns an unprivileged port of 127.0.0.1 that is free for both UDP and TCP
// right now. Another process may still take it before the caller binds it; callers
// that start a server on it retry with another port when that happens.
func FreePort() (int, error) {
	for range 20 {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		pc.Close()
		if err != nil {
			continue
		}
		l.Close()
		if port > 1024 {
			return port, nil
		}
	}
	return 0, errors.New("no free port found on 127.0.0.1")
}
