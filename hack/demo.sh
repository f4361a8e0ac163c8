#!/usr/bin/env bash
# The operator at work, with no cluster of your own (`make demo`):
#
#   1. the built-in vendor catalog, and a mistake caught before it reaches a cluster
#      (the kubectl plugin, offline);
#   2. a local control plane: the etcd and kube-apiserver the tests use (built from
#      source by hack/envtest-binaries.sh the first time), the CRDs, a dnsmasq on
#      loopback that answers for the samples' hostnames, and the manager (bin/manager);
#   3. every sample allowlist applied, and one with a mistake;
#   4. their status, and the NetworkPolicies the operator rendered, compactly;
#   5. an address change arriving through DNS, timed;
#   6. clean-up: every process it started is stopped (also on Ctrl-C or an error), its
#      temporary directory removed, and it checks that nothing is left.
#
# Nothing leaves the machine: every server listens on 127.0.0.1, and dnsmasq has no
# upstream. Everything the demo writes is in one temporary directory (KEEP=1 keeps it,
# with the manager's log).
set -euo pipefail
cd "$(dirname "$0")/.."
t_start=$EPOCHREALTIME

if [[ -t 1 ]]; then B=$'\033[1m' D=$'\033[2m' R=$'\033[0m'; else B= D= R=; fi
section() { printf '\n%s== %s%s\n' "$B" "$*" "$R"; }
note() { printf '%s%s%s\n' "$D" "$*" "$R"; }
indent() { sed 's/^./  &/'; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }
die() { echo "demo: $*" >&2; exit 1; }

# --- What the demo needs. The Go builds take a moment only when the code changed; the
# control plane is built from source the first time only (5-13 minutes), then cached.
go build -o bin/manager ./cmd
go build -o bin/kubectl-vendorallowlist ./cmd/kubectl-vendorallowlist
go build -o bin/vao-demo ./hack/demo
hack/install-test-deps.sh
assets=$(hack/envtest-binaries.sh)
dnsmasq=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
helper=bin/vao-demo

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vao-demo.XXXXXX")
kc=$tmp/kubeconfig
k() { "$assets/kubectl" --kubeconfig "$kc" "$@"; }

# --- Clean-up. Every background process is started with setsid, so it leads a process
# group of its own that the terminal's Ctrl-C does not reach: the trap stops them in
# reverse order (manager, dnsmasq, control plane), each group with SIGTERM, then SIGKILL
# after 15 seconds.
started=() # pid:name, in start order
alive() {  # running, and not a zombie
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }
  [[ ${st:0:1} != Z ]]
}
stop_group() {
  local pid=$1 i
  kill -TERM -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local status=$? i entry names=() left
  trap '' INT TERM
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    entry=${started[i]}
    stop_group "${entry%%:*}"
    names+=("${entry#*:}")
  done
  # The control plane helper stops etcd and kube-apiserver itself; if it could not,
  # they are killed by the pids it recorded (when they still run from this demo's
  # directory: a pid is never reused for anything else's sake).
  if [[ -f $tmp/controlplane.pids ]]; then
    while read -r pid; do
      [[ -n $pid ]] && alive "$pid" && grep -qF "$tmp" "/proc/$pid/cmdline" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    done <"$tmp/controlplane.pids"
  fi
  # Whatever is left runs from the demo's directory, or is one of the pids it started.
  sleep 0.2
  left=$(pgrep -a -f -- "$tmp" || true)
  for entry in "${started[@]}"; do
    alive "${entry%%:*}" && left+=$'\n'"${entry%%:*} ${entry#*:}"
  done
  if [[ ${KEEP:-} == 1 ]]; then
    echo "kept $tmp (manager.log, dnsmasq.log, kubeconfig)"
  else
    rm -rf "$tmp"
  fi
  section "Clean-up"
  if [[ -n ${left//[[:space:]]/} ]]; then
    echo "processes left behind:"
    echo "$left"
    status=1
  else
    echo "stopped ${names[*]:-nothing}; removed the temporary directory; no process left."
  fi
  echo "demo $(case $status in 0) echo finished ;; 130) echo interrupted ;; *) echo "failed (exit $status)" ;; esac) in $(since "$t_start")"
  exit "$status"
}
trap cleanup EXIT
trap 'echo; echo "interrupted"; exit 130' INT
trap 'exit 143' TERM

# Fails with the log of what died.
check_alive() {
  local pid=$1 name=$2 log=$3
  alive "$pid" || { echo "$name exited:"; tail -n 30 "$log"; die "$name did not start"; }
}

echo "${B}vendor-allowlist-operator demo$R: a local control plane, the operator and DNS; no cluster of yours is touched."

section "1. The vendor catalog (kubectl vendorallowlist catalog: no cluster needed)"
bin/kubectl-vendorallowlist catalog | indent
echo
note "A mistake is caught before it reaches a cluster (kubectl vendorallowlist render --offline):"
typo='apiVersion: networking.vendorallowlist.io/v1alpha1
kind: VendorAllowlist
metadata: {name: freshchat-typo}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: support-webhooks}}
  vendors: [{name: freshchat, regions: [APAC], ports: [{port: 443}]}]'
{ bin/kubectl-vendorallowlist render --offline -f - <<<"$typo" 2>&1 || true; } | indent

section "2. A local control plane, the CRDs, DNS and the manager"
t=$EPOCHREALTIME
KUBEBUILDER_ASSETS=$assets TMPDIR=$tmp setsid "$helper" controlplane -kubeconfig "$kc" -pidfile "$tmp/controlplane.pids" \
  </dev/null >"$tmp/controlplane.log" 2>&1 &
started+=("$!:kube-apiserver+etcd")
cp_pid=$!
for ((i = 0; i < 600; i++)); do [[ -f $kc ]] && break; check_alive "$cp_pid" "the control plane" "$tmp/controlplane.log"; sleep 0.1; done
[[ -f $kc ]] || die "the control plane did not start within 60s: $(cat "$tmp/controlplane.log")"
echo "etcd and kube-apiserver $("$assets/kube-apiserver" --version | awk '{print $2}') at $(head -n1 "$tmp/controlplane.log")  (up in $(since "$t"))"

k apply --server-side -f config/crd/bases | indent
k wait --for=condition=Established --timeout=30s crd/vendorallowlists.networking.vendorallowlist.io crd/vendors.networking.vendorallowlist.io >/dev/null

# dnsmasq answers for the samples' hostnames from files in its hosts directory (one per
# name, watched with inotify), and NXDOMAIN for anything else; it forwards nothing. The
# OutSystems front-ends get documentation addresses (198.51.100.0/24, RFC 5737);
# Workato's gateways get the addresses Workato publishes for them. The guard refuses
# documentation ranges, like every range the IANA registries call not globally
# reachable, so the manager below allows that one as an admin would
# (--guard-allow-cidr): it is for these made-up DNS answers only. The samples' own
# networks (custom.yaml's) are public and render on a default install without it.
dns_port=$($helper freeport)
mkdir -p "$tmp/hosts" "$tmp/staging"
set_host() { # name address...: replace the name's file atomically
  local name=$1 f
  shift
  f=$(mktemp "$tmp/staging/$name.XXXXXX")
  printf "%s $name\n" "$@" >"$f"
  chmod 644 "$f"
  mv "$f" "$tmp/hosts/$name"
}
set_host frontend1.outsystems-customer.example.com 198.51.100.10
set_host frontend2.outsystems-customer.example.com 198.51.100.20
set_host sg1.workato.com 50.16.101.13 54.84.241.116 34.237.50.149
set_host sg2.workato.com 34.204.129.29 34.228.172.35 54.83.143.113
set_host sg.workato.com 34.192.94.13 34.195.128.7 34.226.84.130
dnsmasq_args=(--keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --pid-file=
  --listen-address=127.0.0.1 --bind-interfaces --port="$dns_port" --hostsdir="$tmp/hosts"
  --address=/#/ --log-queries --log-facility="$tmp/dnsmasq.log")
# As root, dnsmasq would drop to nobody, who cannot read the private temporary directory.
[[ $(id -u) == 0 ]] && dnsmasq_args+=(--user=root)
setsid "$dnsmasq" "${dnsmasq_args[@]}" </dev/null >"$tmp/dnsmasq.out" 2>&1 &
started+=("$!:dnsmasq")
dns_pid=$!
answer=
for ((i = 0; i < 100; i++)); do
  answer=$($helper resolve -server "127.0.0.1:$dns_port" frontend1.outsystems-customer.example.com 2>/dev/null || true)
  [[ $answer == *198.51.100.10* ]] && break
  check_alive "$dns_pid" dnsmasq "$tmp/dnsmasq.out"
  sleep 0.05
done
[[ $answer == *198.51.100.10* ]] || die "dnsmasq does not answer on 127.0.0.1:$dns_port: $(cat "$tmp/dnsmasq.out")"
echo "dnsmasq at 127.0.0.1:$dns_port answers:"
$helper resolve -server "127.0.0.1:$dns_port" frontend1.outsystems-customer.example.com \
  frontend2.outsystems-customer.example.com sg1.workato.com sg2.workato.com sg.workato.com | indent

health_port=$($helper freeport)
manager_args=(--kubeconfig="$kc" --leader-elect=false --metrics-bind-address=0
  --health-probe-bind-address="127.0.0.1:$health_port" --dns-server="127.0.0.1:$dns_port"
  --dns-min-refresh=1s --dns-retention=5s --zap-encoder=console
  --guard-allow-cidr=198.51.100.0/24)
setsid bin/manager "${manager_args[@]}" </dev/null >"$tmp/manager.log" 2>&1 &
started+=("$!:manager")
manager_pid=$!
echo "manager: bin/manager ${manager_args[*]:1}" | sed "s#$tmp#\$TMP#g"
note "  (DNS refresh at least every 1s instead of 30s, and an address DNS stops returning kept 5s instead of 1h, for the demo)"
ready=
for ((i = 0; i < 300; i++)); do
  check_alive "$manager_pid" "the manager" "$tmp/manager.log"
  if { exec 3<>"/dev/tcp/127.0.0.1/$health_port"; } 2>/dev/null; then
    printf 'GET /readyz HTTP/1.0\r\n\r\n' >&3
    read -r ready <&3 || true
    exec 3>&-
    [[ $ready == *" 200 "* ]] && break
  fi
  sleep 0.1
done
[[ $ready == *" 200 "* ]] || die "the manager is not ready: $(tail -n 20 "$tmp/manager.log")"

section "3. Every sample allowlist: kubectl apply -k config/samples (namespace default)"
k apply -n default -k config/samples | indent
mapfile -t samples < <(k get -n default -k config/samples -o name)
note "and the one with the mistake, which the API server takes (APAC is a valid region code) but the catalog does not:"
k apply -n default -f - <<<"$typo" | indent
t=$EPOCHREALTIME
k wait -n default --for=condition=Ready --timeout=60s "${samples[@]}" >/dev/null
k wait -n default --for=condition=Ready=False --timeout=60s vendorallowlist/freshchat-typo >/dev/null
echo "${#samples[@]} allowlists Ready, and freshchat-typo not, in $(since "$t")"

section "4. Status: kubectl get vendorallowlists -o wide"
k get vendorallowlists -n default -o wide | indent
echo
note "freshchat-typo's Ready condition names the field and the fix (kubectl describe val freshchat-typo):"
k get val freshchat-typo -n default -o jsonpath='{range .status.conditions[?(@.type=="Ready")]}{.reason}: {.message}{"\n"}{end}' | indent

section "5. The NetworkPolicies the operator rendered"
note "kubectl get networkpolicies -l app.kubernetes.io/managed-by=vendor-allowlist-operator, one table each:"
$helper policies -kubeconfig "$kc" -n default | indent

section "6. An address changes in DNS"
host=frontend2.outsystems-customer.example.com
policy=outsystems-internet-ingress
echo "$policy, before:"
$helper policies -kubeconfig "$kc" -n default "$policy" | sed -n '2,/^$/p' | sed '/^$/d' | indent
t=$EPOCHREALTIME
set_host "$host" 198.51.100.21
echo "$(date +%T) dnsmasq now answers $host -> 198.51.100.21 (was 198.51.100.20)"
$helper wait-peer -kubeconfig "$kc" -n default -policy "$policy" -present 198.51.100.21/32 -timeout 30s >/dev/null
echo "$(date +%T) + 198.51.100.21/32 is in the policy, $(since "$t") after the change (at most one refresh, 1s here)"
$helper wait-peer -kubeconfig "$kc" -n default -policy "$policy" -absent 198.51.100.20/32 -timeout 30s >/dev/null
echo "$(date +%T) - 198.51.100.20/32 is out, $(since "$t") after the change (kept for --dns-retention, 5s here, after DNS last returned it)"
echo "$policy, after:"
$helper policies -kubeconfig "$kc" -n default "$policy" | sed -n '2,/^$/p' | sed '/^$/d' | indent
note "The allowlist's status says what each hostname resolves to now (kubectl get val outsystems-internet -o yaml):"
k get val outsystems-internet -n default -o jsonpath='{range .status.hostnames[*]}{.hostname}: {.addresses[*].address}{"\n"}{end}' | indent
