/*
Copyright 2026 The vendor-allowlist-operator Authors.

SPDX-License-Identifier: Apache-2.0
*/

package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
)

// ErrorKind says why a fetch failed, in a word a status reason or a metric label can
// carry.
type ErrorKind string

const (
	// KindInvalidURL is a URL that is not https://host/..., or does not parse.
	KindInvalidURL ErrorKind = "InvalidURL"
	// KindTimeout is a fetch that did not finish within Options.Timeout.
	KindTimeout ErrorKind = "Timeout"
	// KindTLS is a certificate that did not verify, or a failed handshake.
	KindTLS ErrorKind = "TLS"
	// KindHTTPStatus is an answer other than 200 or 304.
	KindHTTPStatus ErrorKind = "HTTPStatus"
	// KindTooLarge is a body longer than Options.MaxBodyBytes.
	KindTooLarge ErrorKind = "TooLarge"
	// KindForbiddenAddress is a host that resolves only into ranges the guard forbids.
	KindForbiddenAddress ErrorKind = "ForbiddenAddress"
	// KindRedirectRefused is a redirect to a scheme other than https, or one too many.
	KindRedirectRefused ErrorKind = "RedirectRefused"
	// KindTransport is any other failure to connect or to read: DNS, refused
	// connection, reset.
	KindTransport ErrorKind = "Transport"
)

// Error is a failed fetch.
type Error struct {
	Kind ErrorKind
	// Status is the HTTP status for KindHTTPStatus.
	Status int
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.Kind, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// KindOf is the kind of a fetch error; empty for nil.
func KindOf(err error) ErrorKind {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	return classify(err)
}

// forbiddenError is a host the guard kept the fetcher from dialling; redirectError a
// redirect CheckRedirect refused. Both travel through net/http's wrapping to classify.
type forbiddenError struct{ msg string }

func (e *forbiddenError) Error() string { return e.msg }

type redirectError struct{ msg string }

func (e *redirectError) Error() string { return e.msg }

// tooLargeError is a body cut at Options.MaxBodyBytes.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("the body is longer than the limit of %d bytes (raise it with the fetcher's MaxBodyBytes if the feed really is that large)", e.limit)
}

// classify names the kind of an error from net/http, innermost cause first.
func classify(err error) ErrorKind {
	var (
		forbidden *forbiddenError
		redirect  *redirectError
		tooLarge  *tooLargeError
		netErr    net.Error
	)
	switch {
	case errors.As(err, &forbidden):
		return KindForbiddenAddress
	case errors.As(err, &redirect):
		return KindRedirectRefused
	case errors.As(err, &tooLarge):
		return KindTooLarge
	case isTLS(err):
		return KindTLS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return KindTimeout
	}
	return KindTransport
}

func isTLS(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		hostname  x509.HostnameError
		record    tls.RecordHeaderError
		alert     tls.AlertError
	)
	return errors.As(err, &verify) || errors.As(err, &unknownCA) || errors.As(err, &invalid) ||
		errors.As(err, &hostname) || errors.As(err, &record) || errors.As(err, &alert)
}
