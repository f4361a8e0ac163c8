/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package dataplanetest

import (
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Snapshot is the machine's network state as the suite could change it, section by
// section (the command or place it was read from, then its lines). Two snapshots, one
// before the run and one after its clean-up, must be equal: Diff says how they differ.
type Snapshot map[string][]string

// snapshotCommands are read in the machine's own namespace. iptables-save and
// ip6tables-save print the iptables-nft view, nft the whole ruleset (legacy and nft
// tables alike are per namespace).
var snapshotCommands = [][]string{
	{"ip", "netns", "list"},
	{"ip", "-br", "link"},
	{"ip", "-br", "addr"},
	{"ip", "route", "show", "table", "all"},
	{"ip", "-6", "route", "show", "table", "all"},
	{"ip", "rule"},
	{"iptables-save"},
	{"ip6tables-save"},
	{"nft", "list", "ruleset"},
	{"ipset", "list", "-n"},
	{"nfacct", "list"},
}

// volatile removes what changes without anyone changing the configuration: comment
// lines with dates, packet and byte counters, and route lifetimes.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\[\d+:\d+\]`), "[0:0]"},
	{regexp.MustCompile(`counter packets \d+ bytes \d+`), "counter"},
	{regexp.MustCompile(` expires \d+sec`), ""},
	{regexp.MustCompile(`pkts \d+ bytes \d+`), ""},
}

// sysctlDirs hold every network sysctl kube-proxy, kube-router or the suite could set
// (forwarding, route_localnet, conntrack limits and timeouts, bridge netfilter).
var sysctlDirs = []string{"net/ipv4", "net/ipv6/conf", "net/netfilter", "net/bridge", "net/core"}

// sysctlSkip are counters and values the kernel changes by itself.
var sysctlSkip = regexp.MustCompile(`nf_conntrack_count$|/tcp_mem$|/udp_mem$|/tcp_fastopen_key$|/base_reachable_time|random|/stable_secret$`)

// TakeSnapshot reads the machine's namespace. A command that fails is recorded with
// its error, so that a command that starts failing shows as a difference.
func TakeSnapshot() Snapshot {
	s := Snapshot{}
	for _, c := range snapshotCommands {
		key := strings.Join(c, " ")
		out, err := run(c...)
		if err != nil {
			s[key] = []string{"ERROR " + err.Error()}
			continue
		}
		s[key] = cleanLines(out)
	}
	s["conntrack entries of the suite's addresses"] = conntrackOfSuite()
	s["sysctl"] = readSysctls()
	return s
}

func cleanLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimRight(l, " \t")
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		for _, v := range volatile {
			l = v.re.ReplaceAllString(l, v.with)
		}
		lines = append(lines, l)
	}
	return lines
}

// conntrackOfSuite lists the machine's conntrack entries with an address in the
// suite's ranges.
func conntrackOfSuite() []string {
	out, err := run("conntrack", "-L")
	if err != nil {
		return []string{"ERROR " + err.Error()}
	}
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		for _, f := range strings.Fields(l) {
			_, v, ok := strings.Cut(f, "=")
			if !ok {
				continue
			}
			if a, err := netip.ParseAddr(v); err == nil && inSuiteRanges(a) {
				lines = append(lines, l)
				break
			}
		}
	}
	return lines
}

func readSysctls() []string {
	var lines []string
	for _, dir := range sysctlDirs {
		root := filepath.Join("/proc/sys", dir)
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || sysctlSkip.MatchString(path) {
				return nil
			}
			info, err := d.Info()
			if err != nil || info.Mode().Perm()&0o444 == 0 {
				return nil // write-only, such as route/flush
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			key := strings.ReplaceAll(strings.TrimPrefix(path, "/proc/sys/"), "/", ".")
			lines = append(lines, key+" = "+strings.Join(strings.Fields(string(b)), " "))
			return nil
		})
	}
	sort.Strings(lines)
	return lines
}

// Diff describes how after differs from before: the lines each section lost ("-")
// and gained ("+"). Empty when they are the same.
func Diff(before, after Snapshot) string {
	keys := make([]string, 0, len(before)+len(after))
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		gone, added := setDiff(before[k], after[k]), setDiff(after[k], before[k])
		if len(gone) == 0 && len(added) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s:\n", k)
		for _, l := range gone {
			fmt.Fprintf(&b, "  - %s\n", l)
		}
		for _, l := range added {
			fmt.Fprintf(&b, "  + %s\n", l)
		}
	}
	return b.String()
}

// setDiff lists the lines of a that b lacks, counting repeats.
func setDiff(a, b []string) []string {
	left := map[string]int{}
	for _, l := range b {
		left[l]++
	}
	var out []string
	for _, l := range a {
		if left[l] > 0 {
			left[l]--
			continue
		}
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}
