"""First process of a pod container, run under `unshare --mount`.

It bind-mounts the pod's volumes at their mount paths in its private mount
namespace, then replaces itself with the container's command. The plan comes
as a JSON file: {"mounts": [[source, target, readOnly], ...], "argv": [...],
"env": {...}, "cwd": "...", "keep": [host paths the program needs, kept visible]}.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import sys

MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _mount(source: str | None, target: str, flags: int) -> None:
    if _libc.mount(source.encode() if source else None, target.encode(), None, flags, None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} -> {target}: {os.strerror(err)}")


def bind(source: str, target: str, read_only: bool) -> None:
    """Bind `source` (a path, or /proc/self/fd/N of one opened earlier) at `target`."""
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            open(target, "a").close()
    _mount(source, target, MS_BIND | MS_REC)
    if read_only:
        _mount(None, target, MS_BIND | MS_REMOUNT | MS_RDONLY)


def main() -> None:
    with open(sys.argv[1]) as f:
        plan = json.load(f)
    # Open every source before mounting anything: a mount over /tmp (say)
    # must not hide the sources of the mounts after it. Parents go first.
    mounts = sorted(plan["mounts"], key=lambda m: m[1].rstrip("/").count("/"))
    # The project's own software (its virtualenv, the editable source) lives on
    # the host; a volume mounted over one of its parents (an emptyDir on /tmp
    # when the checkout is in /tmp) must not hide it: bind it back on top.
    targets = [target.rstrip("/") + "/" for _, target, _ in mounts]
    keep = [p for p in plan.get("keep", []) if any((p.rstrip("/") + "/").startswith(t) for t in targets)]
    mounts += [(p, p, True) for p in keep]
    handles = [os.open(source, os.O_PATH) for source, _, _ in mounts]
    for fd, (_, target, read_only) in zip(handles, mounts):
        bind(f"/proc/self/fd/{fd}", target, read_only)
    for fd in handles:
        os.close(fd)
    env = plan["env"]
    os.chdir(plan["cwd"])
    argv = plan["argv"]
    exe = shutil.which(argv[0], path=env.get("PATH")) or argv[0]
    try:
        os.execve(exe, argv, env)
    except OSError as e:
        print(f"local kubelet: cannot run {argv[0]!r}: {e}", file=sys.stderr)
        sys.exit(127)


if __name__ == "__main__":
    main()
