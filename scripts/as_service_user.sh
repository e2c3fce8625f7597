#!/usr/bin/env bash
# Run a command as the unprivileged service user instead of root (`make run` starts here when
# started as root). The web server, the Celery worker and the sandbox then hold no privilege:
#   - the user (LLMASOS_USER, default "llmasos") is created once as a system user without a login;
#   - the var directory (LLMASOS_VAR_DIR, default var/) is handed to it and stays 0700;
#   - a cgroup subtree is delegated to it, so the sandbox can still give every run its own memory
#     and process cap: v1, the memory and pids hierarchies' "llmasos" directories; v2, the
#     "llmasos" group with both controllers, the services themselves moved into its "service"
#     leaf (v2 lets a process move others only below a group it can write);
#   - the command runs with no capabilities, no way to regain any (no_new_privs) and HOME inside var.
# The sandbox needs no root for the rest: bubblewrap makes its namespaces as any user, and each run
# is confined by its own user, pid, mount and network namespaces, its seccomp filter and its cgroup.
# As root with LLMASOS_USER=root, or when not root, the command just runs.
#   scripts/as_service_user.sh COMMAND [ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
user=${LLMASOS_USER:-llmasos}
var=${LLMASOS_VAR_DIR:-var}
bin=${LLMASOS_BIN:-.venv/bin}
if [ "$(id -u)" != 0 ] || [ "$user" = root ]; then
  exec "$@"
fi

as_user=(setpriv --reuid="$user" --regid="$user" --init-groups)

if ! id -u "$user" >/dev/null 2>&1; then
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin "$user"
fi

# Through env: a program the user's own process starts is what matters (on some kernels the very
# first exec after the switch still passes where the user's later ones are refused).
if [ -x "$bin/python" ] && ! "${as_user[@]}" -- env "$bin/python" -c "" 2>/dev/null; then
  cat >&2 <<MSG
The service user '$user' cannot run $bin/python: the virtualenv was built from a Python in a
directory only root may read ($(readlink -f "$bin/python")). Rebuild it on Debian's Python with
'rm -rf .venv && make install', or run everything as root knowingly with LLMASOS_USER=root.
MSG
  exit 1
fi

mkdir -p "$var/home"
var=$(cd "$var" && pwd)
chown -R "$user:" "$var"  # -R without -L: a symlink inside var/ is changed, never followed
chmod 0700 "$var"

delegate_cgroups() {
  local root=/sys/fs/cgroup controller
  if [ -f "$root/cgroup.controllers" ]; then
    local parent=$root/llmasos
    mkdir -p "$parent/service"
    for controller in memory pids; do
      grep -qw "$controller" "$root/cgroup.subtree_control" \
        || echo "+$controller" >"$root/cgroup.subtree_control"
    done
    # The services live in a leaf: a group that hands controllers down may hold no process.
    echo $$ >"$parent/service/cgroup.procs"
    echo "+memory +pids" >"$parent/cgroup.subtree_control"
    chown "$user:" "$parent" "$parent/cgroup.procs" "$parent/cgroup.subtree_control" \
      "$parent/cgroup.threads"
    chown -R "$user:" "$parent/service"
  else
    for controller in memory pids; do
      mkdir -p "$root/$controller/llmasos"
      chown -R "$user:" "$root/$controller/llmasos"
    done
  fi
}
if ! (delegate_cgroups) 2>/dev/null; then
  echo "No cgroup could be delegated to $user: sandbox runs are capped per process only." >&2
fi

exec "${as_user[@]}" --inh-caps=-all --bounding-set=-all --no-new-privs \
  env HOME="$var/home" LLMASOS_SERVICE_USER="$user" "$@"
