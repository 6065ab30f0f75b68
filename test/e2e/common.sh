# shellcheck shell=bash
# test/e2e/common.sh - what the e2e library and the benchmark share.
#
# Sourced by lib.sh and bench/run.sh: both start unbound daemons and
# fakes that must not outlive them, and stop each by its PID only, so a
# run never touches processes of another tree sharing the machine.

# stop_pid PID [TENTHS]: TERM, then KILL after TENTHS tenths of a second
# (default 50), then reap it; an empty or finished PID is fine.
stop_pid() {
	local pid=$1 n=${2:-50} i
	[[ -n $pid ]] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < n; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# ub_server_basics DIR [VERBOSITY]: the server: lines every unbound of a
# test or benchmark has: unprivileged, no chroot, its files in DIR, logs
# to stderr, one thread, EDE on, loopback clients and upstreams allowed.
ub_server_basics() {
	printf '\t%s\n' 'do-not-query-localhost: no' 'username: ""' 'chroot: ""' \
		"directory: \"$1\"" 'pidfile: ""' 'use-syslog: no' 'logfile: ""' \
		"verbosity: ${2:-1}" 'num-threads: 1' 'ede: yes' \
		'access-control: 127.0.0.0/8 allow'
}
