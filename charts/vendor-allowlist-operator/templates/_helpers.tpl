{{/* Chart name, overridable. */}}
{{- define "vao.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name: the release name, with the chart name appended unless the release
name already contains it. Truncated to 63 characters (DNS label).
*/}}
{{- define "vao.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "vao.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "vao.labels" -}}
helm.sh/chart: {{ include "vao.chart" . }}
{{ include "vao.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: vendor-allowlist-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the manager's pods. */}}
{{- define "vao.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vao.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: manager
{{- end }}

{{- define "vao.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vao.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The manager's image: repository@digest, or repository:tag (default appVersion). */}}
{{- define "vao.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The manager's command line: every flag of cmd/main.go, from values. Lists (DNS servers,
cluster CIDRs, watched namespaces) are passed only when not empty.
*/}}
{{- define "vao.args" -}}
{{- $v := .Values -}}
- {{ printf "--leader-elect=%t" $v.leaderElection.enabled | quote }}
- {{ printf "--leader-election-id=%s" $v.leaderElection.id | quote }}
- {{ printf "--leader-elect-lease-duration=%s" $v.leaderElection.leaseDuration | quote }}
- {{ printf "--leader-elect-renew-deadline=%s" $v.leaderElection.renewDeadline | quote }}
- {{ printf "--leader-elect-retry-period=%s" $v.leaderElection.retryPeriod | quote }}
{{- if $v.metrics.enabled }}
- {{ printf "--metrics-bind-address=:%d" (int64 $v.metrics.port) | quote }}
{{- else }}
- "--metrics-bind-address=0"
{{- end }}
- {{ printf "--health-probe-bind-address=:%d" (int64 $v.health.port) | quote }}
{{- if $v.pprof.port }}
- {{ printf "--pprof-bind-address=127.0.0.1:%d" (int64 $v.pprof.port) | quote }}
{{- else }}
- "--pprof-bind-address=0"
{{- end }}
{{- with $v.watchNamespaces }}
- {{ printf "--watch-namespaces=%s" (join "," .) | quote }}
{{- end }}
{{- range $v.dns.servers }}
- {{ printf "--dns-server=%s" . | quote }}
{{- end }}
- {{ printf "--dns-timeout=%s" $v.dns.timeout | quote }}
- {{ printf "--dns-min-refresh=%s" $v.dns.minRefresh | quote }}
- {{ printf "--dns-max-refresh=%s" $v.dns.maxRefresh | quote }}
- {{ printf "--dns-retention=%s" $v.dns.retention | quote }}
- {{ printf "--dns-max-addresses=%d" (int64 $v.dns.maxAddresses) | quote }}
{{- range concat $v.cluster.podCIDRs $v.cluster.serviceCIDRs }}
- {{ printf "--cluster-cidr=%s" . | quote }}
{{- end }}
{{- range $v.guard.allowCIDRs }}
- {{ printf "--guard-allow-cidr=%s" . | quote }}
{{- end }}
- {{ printf "--tenant-min-prefix-length-ipv4=%d" (int64 $v.tenancy.minPrefixLength.ipv4) | quote }}
- {{ printf "--tenant-min-prefix-length-ipv6=%d" (int64 $v.tenancy.minPrefixLength.ipv6) | quote }}
- {{ printf "--tenant-max-space-prefix-ipv4=%d" (int64 $v.tenancy.maxSpacePrefixLength.ipv4) | quote }}
- {{ printf "--tenant-max-space-prefix-ipv6=%d" (int64 $v.tenancy.maxSpacePrefixLength.ipv6) | quote }}
{{- with $v.tenancy.allowRanges }}
- {{ printf "--tenant-allow-ranges=%s" (join "," .) | quote }}
{{- end }}
- {{ printf "--tenant-allow-cluster-dns=%t" $v.tenancy.allowClusterDNS | quote }}
- {{ printf "--tenant-allow-wildcards=%t" $v.tenancy.allowWildcards | quote }}
- {{ printf "--max-hostnames-per-allowlist=%d" (int64 $v.tenancy.maxHostnames) | quote }}
- {{ printf "--cluster-dns-namespace=%s" $v.clusterDNS.namespace | quote }}
- {{ printf "--cluster-dns-selector=%s" $v.clusterDNS.selector | quote }}
- {{ printf "--dns-lookups-per-namespace=%d" (int64 $v.dns.lookupsPerNamespace) | quote }}
- {{ printf "--dns-reconcile-wait=%s" $v.dns.reconcileWait | quote }}
- {{ printf "--vendor-change-max-removed-percent=%d" (int64 $v.vendorChanges.maxRemovedPercent) | quote }}
- {{ printf "--vendor-change-max-added-space-prefix-ipv4=%d" (int64 $v.vendorChanges.maxAddedSpacePrefixLength.ipv4) | quote }}
- {{ printf "--vendor-change-max-added-space-prefix-ipv6=%d" (int64 $v.vendorChanges.maxAddedSpacePrefixLength.ipv6) | quote }}
- {{ printf "--ingress-targets=%s" (include "vao.ingressTargets" .) | quote }}
- {{ printf "--egress-backend=%s" $v.egressBackend | quote }}
{{- with $v.feeds.enabled }}
- {{ printf "--feeds=%s" (join "," .) | quote }}
- {{ printf "--feed-namespace=%s" $.Release.Namespace | quote }}
- {{ printf "--feed-interval=%s" $v.feeds.interval | quote }}
{{- if include "vao.feedCABundle" $ }}
- {{ printf "--feed-ca-bundle=%s/%s" (include "vao.feedCABundleDir" $) $v.feeds.caBundle.key | quote }}
{{- end }}
{{- end }}
- {{ printf "--kube-api-qps=%v" $v.kubeAPI.qps | quote }}
- {{ printf "--kube-api-burst=%d" (int64 $v.kubeAPI.burst) | quote }}
- {{ printf "--workers=%d" (int64 $v.workers) | quote }}
- {{ printf "--zap-log-level=%v" $v.logging.level | quote }}
- {{ printf "--zap-encoder=%s" $v.logging.format | quote }}
- {{ printf "--zap-devel=%t" $v.logging.development | quote }}
- {{ printf "--zap-stacktrace-level=%s" $v.logging.stacktraceLevel | quote }}
- {{ printf "--zap-time-encoding=%s" $v.logging.timeEncoding | quote }}
{{- range $v.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/*
A (Cluster)RoleBinding of the manager's ServiceAccount. Takes a dict: root (the chart's
context), kind, name, namespace (empty for a ClusterRoleBinding), roleKind, roleName.
*/}}
{{- define "vao.binding" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ .kind }}
metadata:
  name: {{ .name }}
  {{- with .namespace }}
  namespace: {{ . }}
  {{- end }}
  labels:
    {{- include "vao.labels" .root | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: {{ .roleKind }}
  name: {{ .roleName }}
subjects:
  - kind: ServiceAccount
    name: {{ include "vao.serviceAccountName" .root }}
    namespace: {{ .root.Release.Namespace }}
{{- end }}

{{/*
The tenant limits of the admission policy's ConfigMap, under the names of the manager's
flags that take the same values (see vao.args), and the cluster's ranges. The policy
works out the IPv6 forms that embed the cluster's IPv4 ranges itself.
*/}}
{{- define "vao.tenancyData" -}}
{{- $v := .Values -}}
tenant-min-prefix-length-ipv4: {{ int64 $v.tenancy.minPrefixLength.ipv4 | toString | quote }}
tenant-min-prefix-length-ipv6: {{ int64 $v.tenancy.minPrefixLength.ipv6 | toString | quote }}
tenant-max-space-prefix-ipv4: {{ int64 $v.tenancy.maxSpacePrefixLength.ipv4 | toString | quote }}
tenant-max-space-prefix-ipv6: {{ int64 $v.tenancy.maxSpacePrefixLength.ipv6 | toString | quote }}
tenant-allow-ranges: {{ join "," $v.tenancy.allowRanges | quote }}
tenant-allow-cluster-dns: {{ $v.tenancy.allowClusterDNS | toString | quote }}
tenant-allow-wildcards: {{ $v.tenancy.allowWildcards | toString | quote }}
max-hostnames-per-allowlist: {{ int64 $v.tenancy.maxHostnames | toString | quote }}
guard-allow-cidr: {{ join "," $v.guard.allowCIDRs | quote }}
cluster-cidr: {{ join "," (concat $v.cluster.podCIDRs $v.cluster.serviceCIDRs) | quote }}
{{ include "vao.customerCIDRsData" . }}
{{- end }}

{{/*
How far the admission policy widens the tenant limits for the networks of
spec.vendors[].cidrs (the ConfigMap's customer-cidrs-* keys): as far as the built-in
catalog's customerCIDRs (files/customer-cidrs.yaml, generated from the catalog), those
of the Vendor objects in values.vendors, and tenancy.customerCIDRs, together: every
range one of them opens, the broadest prefix length any gives ("" when none does).
*/}}
{{- define "vao.customerCIDRsData" -}}
{{- $sources := list (.Files.Get "files/customer-cidrs.yaml" | fromYaml) (.Values.tenancy.customerCIDRs | default dict) -}}
{{- range .Values.vendors -}}
{{- range dig "endpoints" list .spec -}}
{{- with dig "customerCIDRs" "" . -}}
{{- $sources = append $sources (dict "allowRanges" (dig "allowRanges" list .) "minPrefixLength"
      (dict "ipv4" (dig "minPrefixLengthIPv4" "" .) "ipv6" (dig "minPrefixLengthIPv6" "" .))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $ranges := list -}}
{{- $min := dict "ipv4" "" "ipv6" "" -}}
{{- range $sources -}}
{{- $ranges = concat $ranges (dig "allowRanges" list .) -}}
{{- $source := . -}}
{{- range $family := list "ipv4" "ipv6" -}}
{{- $n := dig "minPrefixLength" $family "" $source | toString -}}
{{- if and (ne $n "") (ne $n "<nil>") (or (eq (get $min $family) "") (lt (atoi $n) (atoi (get $min $family)))) -}}
{{- $_ := set $min $family $n -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $known := list -}}
{{- range list "private" "loopback" "link-local" "multicast" "cluster" "reserved" -}}
{{- if has . $ranges }}{{ $known = append $known . }}{{ end -}}
{{- end -}}
customer-cidrs-allow-ranges: {{ join "," $known | quote }}
customer-cidrs-min-prefix-length-ipv4: {{ get $min "ipv4" | quote }}
customer-cidrs-min-prefix-length-ipv6: {{ get $min "ipv6" | quote }}
{{- end }}


{{/*
The value of --ingress-targets: "all" when every kind is on, "none" when none is (the
manager's default), else the kinds that are.
*/}}
{{- define "vao.ingressTargets" -}}
{{- $t := .Values.ingressTargets -}}
{{- $kinds := list -}}
{{- if $t.service }}{{ $kinds = append $kinds "service" }}{{ end -}}
{{- if $t.ingressNginx }}{{ $kinds = append $kinds "ingress-nginx" }}{{ end -}}
{{- if $t.envoyGateway }}{{ $kinds = append $kinds "envoy-gateway" }}{{ end -}}
{{- if $t.istio }}{{ $kinds = append $kinds "istio" }}{{ end -}}
{{- if $t.traefik }}{{ $kinds = append $kinds "traefik" }}{{ end -}}
{{- if eq (len $kinds) 5 }}all{{ else if eq (len $kinds) 0 }}none{{ else }}{{ join "," $kinds }}{{ end -}}
{{- end }}

{{/*
vao.feedCABundle is "true" when feeds are enabled with a CA bundle (feeds.caBundle),
empty otherwise; vao.feedCABundleDir is where it is mounted.
*/}}
{{- define "vao.feedCABundle" -}}
{{- $b := .Values.feeds.caBundle -}}
{{- if and .Values.feeds.enabled $b.configMap $b.secret -}}
{{- fail "feeds.caBundle: set configMap or secret, not both" -}}
{{- end -}}
{{- if and .Values.feeds.enabled (or $b.configMap $b.secret) -}}true{{- end -}}
{{- end }}

{{- define "vao.feedCABundleDir" -}}/etc/vendor-allowlist-operator/feed-ca{{- end }}
