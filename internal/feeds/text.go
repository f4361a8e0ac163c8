/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package feeds

import (
	"bufio"
	"io"
	"strings"
)

// maxLine bounds a text line: an address or a network with a comment is far shorter.
const maxLine = 4096

// collectText reads one address or network a line, as Cloudflare's ips-v4 and
// Stripe's .txt lists are written. Blank lines and everything after '#' are ignored.
func collectText(r io.Reader, c *collector) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxLine)
	for line := 0; sc.Scan(); line++ {
		s := sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if err := c.add(s, position{list: "line", index: line}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return parseError(err, "reading the list: %v (a line is at most %d bytes)", err, maxLine)
	}
	return nil
}
