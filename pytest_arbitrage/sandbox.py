"""Run untrusted (model-written) Python in a contained subprocess.

Layers, each enough for most attacks on its own:

- a fresh temporary directory as the working directory and HOME, removed afterwards;
- `python -I -B` (isolated: no environment variables read, no user site, no .pyc);
- an environment reduced to an allowlist (no API keys or other secrets);
- when the parent runs as root, the child runs as `nobody` (uid/gid 65534, no
  supplementary groups): it cannot signal or read the parent, and RLIMIT_NPROC applies;
- resource limits set by the child's bootstrap before the user's code runs: CPU seconds,
  address space (memory), file size (also caps captured output), processes, open files,
  no core dumps;
- a `sys.addaudithook` guard in the bootstrap that refuses process creation, signals,
  sockets, ctypes, changing limits, and writing, deleting or renaming anything outside
  the temporary directory, and reading other processes' environments;
- a wall-clock timeout that kills the child's whole process group;
- stdout/stderr written to files outside the sandbox and read back truncated.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass

NOBODY = 65534
ENV_ALLOWLIST = ("LANG", "LC_ALL", "TZ")


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 5.0
    memory_mb: int = 512
    file_mb: int = 8
    max_output: int = 64 * 1024
    max_open_files: int = 64


@dataclass(frozen=True)
class SandboxResult:
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool

    @property
    def ok(self) -> bool:
        """True only for a clean exit within the limits."""
        return self.returncode == 0 and not self.timed_out


BOOTSTRAP = r'''
import json, os, resource, sys
cfg = json.loads(sys.argv[2])
root = os.path.realpath(cfg["root"])
for name, value in (("RLIMIT_CPU", cfg["cpu"]), ("RLIMIT_AS", cfg["mem"]), ("RLIMIT_FSIZE", cfg["fsize"]),
                    ("RLIMIT_NOFILE", cfg["nofile"]), ("RLIMIT_CORE", 0), ("RLIMIT_NPROC", cfg["nproc"])):
    try:
        resource.setrlimit(getattr(resource, name), (value, value))
    except (ValueError, OSError):
        pass
BLOCKED = ("os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec", "os.system", "os.kill",
           "os.killpg", "subprocess.Popen", "pty.spawn", "socket.", "ctypes.", "resource.setrlimit",
           "resource.prlimit", "signal.pthread_kill", "os.setuid", "os.chroot", "sys.remote_exec")
PATH_EVENTS = ("os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.symlink",
               "os.link", "os.truncate", "os.utime", "shutil.rmtree", "shutil.move", "os.chdir")
BLOCKED_IMPORTS = {"_posixsubprocess", "_ctypes", "ctypes", "_socket", "socket", "multiprocessing"}
def inside(path):
    try:
        full = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return True  # file descriptors
    return full == root or full.startswith(root + os.sep)
def guard(event, args):
    if event.startswith(BLOCKED) or (event == "import" and args[0] in BLOCKED_IMPORTS):
        raise PermissionError(f"sandbox: {event} {args[0] if event == 'import' else ''} is not allowed")
    if event == "open":
        path, mode, flags = args
        writing = (mode and any(c in str(mode) for c in "wax+")) or (isinstance(flags, int) and flags & 3)
        if isinstance(path, (str, bytes)) and "environ" in os.path.realpath(os.fsdecode(path)) + os.fsdecode(path):
            raise PermissionError("sandbox: reading process environments is not allowed")
        if writing and not inside(path):
            raise PermissionError(f"sandbox: writing {path!r} outside the sandbox is not allowed")
    elif event in PATH_EVENTS and args and not all(inside(a) for a in args[:2] if isinstance(a, (str, bytes, os.PathLike))):
        raise PermissionError(f"sandbox: {event} outside the sandbox is not allowed")
source = open(sys.argv[1], encoding="utf-8").read()
code = compile(source, "solution.py", "exec")
sys.addaudithook(guard)
del json, resource, cfg
sys.argv = ["solution.py"]
exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
'''


def run_python(code: str, limits: Limits | None = None) -> SandboxResult:
    """Run `code` as a script in the sandbox; never raises for anything the code does."""
    limits = limits or Limits()
    workdir = tempfile.mkdtemp(prefix="arb-sandbox-")
    logdir = tempfile.mkdtemp(prefix="arb-sandbox-log-")
    try:
        script = os.path.join(workdir, "solution.py")
        with open(script, "w", encoding="utf-8") as handle:
            handle.write(code)
        return _execute(script, workdir, logdir, limits)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(logdir, ignore_errors=True)


def _execute(script: str, workdir: str, logdir: str, limits: Limits) -> SandboxResult:
    python, as_root = interpreter()
    if as_root:
        os.chown(workdir, NOBODY, NOBODY)
        os.chown(script, NOBODY, NOBODY)
    config = {
        "root": workdir,
        "cpu": int(limits.timeout_s) + 1,
        "mem": limits.memory_mb * 1024 * 1024,
        "fsize": limits.file_mb * 1024 * 1024,
        "nofile": limits.max_open_files,
        "nproc": 1 if as_root else _current_nproc_limit(),
    }
    out_path, err_path = os.path.join(logdir, "stdout"), os.path.join(logdir, "stderr")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        process = subprocess.Popen(
            [python, "-I", "-B", "-c", BOOTSTRAP, script, json.dumps(config)],
            cwd=workdir, env=_environment(workdir), stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            start_new_session=True, close_fds=True,
            **({"user": NOBODY, "group": NOBODY, "extra_groups": []} if as_root else {}),
        )
        timed_out = _wait(process, limits.timeout_s)
    return SandboxResult(
        returncode=None if timed_out else process.returncode,
        stdout=_read_capped(out_path, limits.max_output),
        stderr=_read_capped(err_path, limits.max_output),
        timed_out=timed_out,
    )


@functools.lru_cache(maxsize=1)
def interpreter() -> tuple[str, bool]:
    """(python executable, drop to `nobody`?). As root, prefer an interpreter `nobody` can run
    (the venv's may live under a private home); otherwise keep the uid and rely on the guard."""
    if os.geteuid() != 0:
        return sys.executable, False
    for candidate in (sys.executable, "/usr/bin/python3"):
        if _runnable_by_others(candidate):
            return candidate, True
    return sys.executable, False


def _runnable_by_others(path: str) -> bool:
    real = os.path.realpath(path)
    if not os.path.isfile(real) or not os.stat(real).st_mode & stat.S_IXOTH:
        return False
    parent = os.path.dirname(real)
    while True:
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            return False
        if parent == os.path.dirname(parent):
            return True
        parent = os.path.dirname(parent)


def _wait(process: subprocess.Popen, timeout_s: float) -> bool:
    try:
        process.wait(timeout=timeout_s)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group: anything it may have started
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
    return timed_out


def _environment(workdir: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in ENV_ALLOWLIST if k in os.environ}
    env.update(PATH="/usr/bin:/bin", HOME=workdir, TMPDIR=workdir, PYTHONHASHSEED="0")
    return env


def _current_nproc_limit() -> int:
    import resource

    soft, _hard = resource.getrlimit(resource.RLIMIT_NPROC)
    return soft


def _read_capped(path: str, limit: int) -> str:
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    text = data[:limit].decode("utf-8", errors="replace")
    return text + ("\n[output truncated]" if len(data) > limit else "")
