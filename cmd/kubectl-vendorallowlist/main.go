/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

// Command kubectl-vendorallowlist is the kubectl plugin of the vendor-allowlist-operator.
// Installed on PATH it runs as `kubectl vendorallowlist`.
//
// It works without a cluster: render prints the NetworkPolicies the operator would
// apply for the VendorAllowlists in a file, checked the way the API server and the
// operator check them; catalog lists the built-in vendor catalog.
//
// Exit codes: 0 on success, 1 when the input is wrong or DNS fails, 2 on a usage error;
// catalog check exits like diff: 1 when the catalog and its documents differ, 2 on an
// error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	v1alpha1 "github.com/vendorallowlist/vendor-allowlist-operator/api/v1alpha1"
	"github.com/vendorallowlist/vendor-allowlist-operator/internal/version"
)

const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const commandName = "kubectl vendorallowlist"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
	// usage writes the subcommand's full help.
	usage func(w io.Writer)
}

func commands() []command {
	return []command{
		{name: "render", summary: "Print the NetworkPolicies for the VendorAllowlists in files", run: runRender, usage: renderUsage},
		{name: "catalog", summary: "List the vendor catalog: vendors, endpoint groups, ports, regions", run: runCatalogCommand, usage: catalogCommandUsage},
		{name: "feeds", summary: "List the feed presets: URLs, filters, groups", run: runFeeds, usage: feedsUsage},
		{name: "version", summary: "Print the plugin's version", run: runVersion, usage: versionUsage},
		{name: "help", summary: "Show help for the plugin or a command", run: runHelp, usage: helpUsage},
	}
}

func lookupCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// run is the whole plugin: it parses args (without the program name) and returns the
// exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		mainUsage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		mainUsage(stdout)
		return exitOK
	case "-v", "-version", "--version":
		name = "version"
	}
	cmd, ok := lookupCommand(name)
	if !ok {
		fmt.Fprintf(stderr, "error: unknown command %q\n\n", name)
		mainUsage(stderr)
		return exitUsage
	}
	return cmd.run(args[1:], stdin, stdout, stderr)
}

func mainUsage(w io.Writer) {
	fmt.Fprintf(w, `%[1]s checks VendorAllowlists and prints the NetworkPolicies the
vendor-allowlist-operator renders for them, without a cluster.

Usage:
  %[1]s COMMAND [flags]

Commands:
`, commandName)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, `
Examples:
  # Render the policies of a file, resolving vendor hostnames through DNS:
  %[1]s render -f allowlist.yaml

  # Render from the published addresses alone, sending no DNS query:
  %[1]s render --offline -f allowlist.yaml

  # List the vendors and endpoint groups an allowlist can name:
  %[1]s catalog

Run '%[1]s help COMMAND' (or COMMAND -h) for a command's flags.
`, commandName)
}

func runHelp(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	switch len(args) {
	case 0:
		mainUsage(stdout)
		return exitOK
	case 1:
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			helpUsage(stdout)
			return exitOK
		}
		cmd, ok := lookupCommand(args[0])
		if !ok {
			fmt.Fprintf(stderr, "error: unknown command %q\n\n", args[0])
			mainUsage(stderr)
			return exitUsage
		}
		cmd.usage(stdout)
		return exitOK
	default:
		fmt.Fprintf(stderr, "error: help takes at most one command, got %q\n\n", strings.Join(args, " "))
		helpUsage(stderr)
		return exitUsage
	}
}

func helpUsage(w io.Writer) {
	fmt.Fprintf(w, `Show help for the plugin, or for one command.

Usage:
  %[1]s help [COMMAND]
`, commandName)
}

func runVersion(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("version")
	rest, code, done := parseFlags(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(rest) > 0 {
		return usageError(stderr, versionUsage, "version takes no arguments, got %q", strings.Join(rest, " "))
	}
	build := version.Get()
	fmt.Fprintf(stdout, "kubectl-vendorallowlist %s\n", build.Version)
	fmt.Fprintf(stdout, "Commit: %s\n", build.Commit)
	fmt.Fprintf(stdout, "Built: %s\n", build.Date)
	fmt.Fprintf(stdout, "API: %s (VendorAllowlist, Vendor)\n", v1alpha1.GroupVersion)
	fmt.Fprintf(stdout, "Go: %s %s\n", build.GoVersion, build.Platform)
	return exitOK
}

func versionUsage(w io.Writer) {
	fmt.Fprintf(w, `Print the plugin's version, Git commit and build date, the API version it reads
and the Go it was built with.

Usage:
  %[1]s version
`, commandName)
}

// newFlagSet returns a flag set that reports errors itself, so that run decides the
// exit code and where help goes.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args into fs, flags and arguments in any order ("--" ends the
// flags), and returns the arguments. When it returns done, the caller returns code:
// help was asked for (exit 0, help on stdout) or the flags are wrong (exit 2, the
// error and the help on stderr).
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (positional []string, code int, done bool) {
	usage := commandUsage(fs.Name())
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			usage(stdout)
			return nil, exitOK, true
		case err != nil:
			return nil, usageError(stderr, usage, "%s", err.Error()), true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, exitOK, false
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), exitOK, false
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func commandUsage(name string) func(io.Writer) {
	if name == catalogCheckName {
		return catalogCheckUsage
	}
	if c, ok := lookupCommand(name); ok {
		return c.usage
	}
	return mainUsage
}

// usageError writes the error and the command's help to stderr and returns exitUsage.
func usageError(stderr io.Writer, usage func(io.Writer), format string, args ...any) int {
	fmt.Fprintf(stderr, "error: "+format+"\n\n", args...)
	usage(stderr)
	return exitUsage
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	if v == "" {
		return errors.New("must not be empty")
	}
	*s = append(*s, v)
	return nil
}
