"""Run untrusted (model-written) Python in a contained subprocess.

Layers, each meant to hold on its own, whoever runs the sandbox (most users are not root):

- a fresh temporary directory as the working directory and HOME, removed afterwards;
- `python -I -S -B`: no environment variables, no site-packages and no `.pth` code before the
  guard, no .pyc written;
- an environment reduced to an allowlist (no API keys or other secrets);
- when the parent runs as root, the child runs as `nobody` (uid/gid 65534, no supplementary
  groups); as root without an interpreter `nobody` can run, the sandbox refuses to run at all;
- resource limits, lowered soft and hard before the program starts: CPU seconds, address
  space, file size (also caps captured output), open files, no core dumps, and RLIMIT_NPROC 0,
  so that the kernel refuses any new process or thread, however the program asks for one;
- native modules: every one a program may use is loaded by the bootstrap, then `_imp`'s
  loaders are replaced by a stub, so no import path (the statement, `importlib`, `_imp`, a spec of the
  program's own, a .so it wrote) can load another: never `_posixsubprocess` (its fork_exec
  raises no audit event), `_socket`, `_ctypes` and the like;
- a `sys.addaudithook` guard that refuses process creation, signals, sockets, ctypes, changing
  limits, hand-made bytecode (code objects; marshal data but the library's own .pyc files),
  tracing, gc introspection, symlinks, writing, deleting, renaming or linking anything outside
  the temporary directory (or opening a directory there), and reading other processes' /proc
  entries. It is a closure over immutable values and C functions only, so the program can
  neither patch what it relies on (`os.path.realpath`, builtins, `__main__`) nor reach it;
- a wall-clock timeout that kills the child and its process group;
- stdout/stderr written to files outside the sandbox and read back truncated.
"""
from __future__ import annotations

import functools
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


# Runs in the child, trusted, before the program: argv = script, root, cpu s, memory, file size, files.
BOOTSTRAP = r'''
import _imp, _io, _signal, builtins, os, posix, resource, sys

script, root = sys.argv[1], os.path.realpath(sys.argv[2])
cpu, memory, fsize, nofile = (int(value) for value in sys.argv[3:7])
BLOCKED_IMPORTS = frozenset({
    "_posixsubprocess", "subprocess", "multiprocessing", "_multiprocessing", "_posixshmem", "pty",
    "_socket", "socket", "_ssl", "ssl", "_ctypes", "ctypes", "_sqlite3", "sqlite3", "_dbm", "_gdbm", "dbm",
    "readline", "spwd", "_xxsubinterpreters", "_testcapi", "_testinternalcapi"})
# stdlib C extensions (outside sys.builtin_module_names) that a solution may use. Left out, as
# slow to load and with a Python fallback: _hashlib (hashlib has _md5, _sha256...), _elementtree.
EXTENSIONS = ("_bisect", "_blake2", "_bz2", "_contextvars", "_csv", "_datetime", "_decimal",
              "_heapq", "_json", "_lzma", "_md5", "_opcode", "_pickle", "_queue", "_random", "_sha1",
              "_sha256", "_sha3", "_sha512", "_statistics", "_struct", "_typing", "_uuid",
              "array", "binascii", "cmath", "fcntl", "grp", "math", "mmap", "pwd", "pyexpat", "select",
              "termios", "unicodedata", "zlib")
# Load every native module a program may use, then replace the loaders: after that no path whatever
# can create a native module, so the blocked ones stay out for good. get_frozen_object goes too (it
# unmarshals any bytes given): frozen stdlib modules not loaded yet then load from their .py files.
for name in (*sys.builtin_module_names, *EXTENSIONS):
    if name not in BLOCKED_IMPORTS and name != "_elementtree":
        try:
            __import__(name)
        except ImportError:
            pass
def no_loader(*args):  # holds no reference to the real loaders; ImportError lets fallbacks work
    raise ImportError("sandbox: no native module can be loaded after start-up")
_imp.create_builtin = _imp.create_dynamic = _imp.get_frozen_object = no_loader
sys.meta_path[:] = [finder for finder in sys.meta_path if getattr(finder, "__name__", "") != "FrozenImporter"]
# Functions that reach other processes (a non-root parent has the same uid) or create files, and
# raise no audit event: out of the modules and of os.supports_*. With the loaders gone, no fresh
# copy of posix or _signal can bring them back.
for module in (os, posix, _signal):
    for name in ("mkfifo", "mknod", "pidfd_open", "pidfd_send_signal", "setpriority",
                 "sched_setaffinity", "sched_setparam", "sched_setscheduler"):
        function = module.__dict__.pop(name, None)
        for functions in (os.supports_dir_fd, os.supports_fd, os.supports_follow_symlinks):
            functions.discard(function)
if BLOCKED_IMPORTS & sys.modules.keys():
    raise SystemExit("sandbox: a blocked module was loaded before the guard")
# Soft and hard, so that they stay (resource.setrlimit is refused below anyway). NPROC 0: fork,
# vfork, clone (threads too) fail for any uid but root's, whatever module asks for them.
for limit, value in ((resource.RLIMIT_CPU, cpu), (resource.RLIMIT_AS, memory), (resource.RLIMIT_FSIZE, fsize),
                     (resource.RLIMIT_NOFILE, nofile), (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NPROC, 0)):
    hard = resource.getrlimit(limit)[1]
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(limit, (value, value))

BLOCKED_EVENTS = (
    "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec", "os.system", "subprocess.Popen",
    "pty.spawn", "os.kill", "signal.pthread_kill", "socket.", "ctypes.", "resource.setrlimit",
    "resource.prlimit", "os.setuid", "os.symlink", "syslog.", "sqlite3.", "code.__new__", "marshal.load",
    "sys.addaudithook", "sys.settrace", "sys.setprofile", "sys.monitoring", "sys._current_frames", "gc.get_",
    "sys.remote_exec")
# Events that change the file system; the first argument is a path (the first two for TWO_PATHS).
PATH_EVENTS = frozenset({"os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate", "os.utime",
                         "os.chdir", "os.setxattr", "os.removexattr", "os.rename", "os.link"})
TWO_PATHS = frozenset({"os.rename", "os.link"})
DEVICES = frozenset({"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"})  # readable
# Where importlib's .pyc files may come from: the interpreter's own library (not the sandbox).
LIBRARY = tuple(os.path.realpath(p) + "/" for p in sys.path if not os.path.realpath(p).startswith(root + "/"))
COMPILE_BYTECODE = sys.modules["_frozen_importlib_external"]._compile_bytecode.__code__


def make_guard(root, pid, getcwd=posix.getcwd, readlink=posix.readlink, stat=posix.stat, FileIO=_io.FileIO,
               getframe=sys._getframe, compile_bytecode=COMPILE_BYTECODE, library=LIBRARY,
               encoding=sys.getfilesystemencoding(), blocked=BLOCKED_EVENTS, blocked_imports=BLOCKED_IMPORTS,
               path_events=PATH_EVENTS, two_paths=TWO_PATHS, devices=DEVICES,
               write_flags=os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND,
               type=type, str=str, bytes=bytes, int=int, tuple=tuple, issubclass=issubclass,
               PermissionError=PermissionError, OSError=OSError):
    # Everything the guard uses is bound here, immutable: the program may patch modules, builtins
    # and __main__, not these. The guard never runs the program's code (it calls methods of
    # immutable built-in types only), and it is one function: a helper, reachable through a
    # traceback frame's f_locals, could have its __code__ replaced.
    inside_prefix = root + "/"

    def guard(event, args):
        if event == "marshal.loads":  # only importlib reading one of the library's own .pyc files
            caller = getframe(1)
            path = caller.f_locals.get("bytecode_path") if caller.f_code is compile_bytecode else None
            if (type(path) is str and path.startswith(library) and not path.startswith(inside_prefix)
                    and ".." not in path.split("/") and type(args[0]) is bytes):  # (a copy of the data)
                with FileIO(path) as handle:
                    if handle.readall()[16:] == args[0]:
                        return
            raise PermissionError("sandbox: marshal.loads is not allowed (it makes code objects of any bytes)")
        if event.startswith(blocked):
            raise PermissionError(f"sandbox: {event} is not allowed")
        if event == "import":  # the import statement, __import__; importlib paths have no loader left
            name = str.__str__(args[0])
            if name.partition(".")[0] in blocked_imports or name.rpartition(".")[2] in blocked_imports:
                raise PermissionError(f"sandbox: importing {name} is not allowed")
            return
        if event == "open":  # (path, mode or None from os.open, flags)
            if type(args[2]) is not int:
                raise PermissionError("sandbox: open flags must be an int")
            if type(args[0]) is int:
                return  # an open file descriptor: judged when it was opened
            paths, must_be_inside, os_open = args[:1], args[2] & write_flags, args[1] is None
        elif event in path_events:
            paths, must_be_inside, os_open = args[:2] if event in two_paths else args[:1], True, False
        else:
            return
        for path in paths:
            if type(path) is int:
                path = f"/proc/self/fd/{path}"  # fchmod and the like: judge where the descriptor leads
            elif issubclass(type(path), str):
                path = str.__str__(path)  # an exact copy: a subclass's methods never run
            elif issubclass(type(path), bytes):
                path = bytes.decode(path, encoding, "surrogateescape")
            else:  # os.PathLike: its __fspath__ may answer differently now than when the call used it
                raise PermissionError(f"sandbox: {event} needs a str or bytes path")
            if not path.startswith("/"):
                if ".." in path.split("/"):  # it may be relative to a dir_fd, not to the cwd
                    raise PermissionError(f"sandbox: {event} {path!r}: no '..' in relative paths")
                path = getcwd() + "/" + path
            # os.path.realpath, with C functions only.
            todo, real, hops = path.split("/")[::-1], "", 0
            while todo:
                part = todo.pop()
                if part == "" or part == ".":
                    continue
                if part == "..":
                    real = real.rpartition("/")[0]
                    continue
                try:
                    link = readlink(real + "/" + part)
                except OSError:  # not a link, or not there (yet)
                    real = real + "/" + part
                    continue
                hops += 1
                if hops > 40:
                    raise PermissionError(f"sandbox: {event} {path!r}: too many links")
                if link.startswith("/"):
                    real = ""
                todo += link.split("/")[::-1]
            real = real or "/"
            inside = real == root or real.startswith(inside_prefix)
            if must_be_inside:
                if not inside and not (event == "open" and real == "/dev/null"):
                    raise PermissionError(f"sandbox: {event} {real!r} outside the sandbox is not allowed")
                continue
            entry = real.split("/")[2] if real.startswith("/proc/") else ""
            if entry.isdigit() and entry != pid:
                raise PermissionError(f"sandbox: reading another process ({real!r}) is not allowed")
            if real.startswith("/dev/") and real not in devices:
                raise PermissionError(f"sandbox: reading {real!r} is not allowed")
            # A directory opened outside would let os.open(..., dir_fd=) and the like leave the sandbox.
            # (tuple.__getitem__: os.stat_result is a class the program can patch; st_mode is [0].)
            if os_open and not inside and tuple.__getitem__(stat(real), 0) & 0o170000 == 0o040000:
                raise PermissionError(f"sandbox: opening the directory {real!r} is not allowed")

    return guard


source = open(script, encoding="utf-8").read()
code = compile(source, "solution.py", "exec")
builtins.exit = builtins.quit = sys.exit  # site (-S: not loaded) would have defined them
sys.addaudithook(make_guard(root, str(posix.getpid())))
del make_guard
sys.argv = ["solution.py"]
exec(code, {"__name__": "__main__", "__builtins__": builtins})
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
    limits_argv = [str(int(limits.timeout_s) + 1), str(limits.memory_mb * 1024 * 1024),
                   str(limits.file_mb * 1024 * 1024), str(limits.max_open_files)]
    out_path, err_path = os.path.join(logdir, "stdout"), os.path.join(logdir, "stderr")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        process = subprocess.Popen(
            [python, "-I", "-S", "-B", "-c", BOOTSTRAP, script, workdir, *limits_argv],
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
    """(python executable, drop to `nobody`?). As root, an interpreter `nobody` can run (the
    venv's may live under a private home): untrusted code never runs as root, where neither
    RLIMIT_NPROC nor file permissions would hold."""
    if os.geteuid() != 0:
        return sys.executable, False
    for candidate in (sys.executable, "/usr/bin/python3"):
        if _runnable_by_others(candidate):
            return os.path.realpath(candidate), True  # (a venv's link may sit in a private folder)
    raise RuntimeError("sandbox: running as root, but no Python interpreter that 'nobody' can execute "
                       f"(tried {sys.executable} and /usr/bin/python3); refusing to run untrusted code as root")


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
    for kill in (lambda: os.killpg(process.pid, signal.SIGKILL), process.kill):  # its group, and itself
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass
    process.wait()
    return timed_out


def _environment(workdir: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in ENV_ALLOWLIST if k in os.environ}
    env.update(PATH="/usr/bin:/bin", HOME=workdir, TMPDIR=workdir, PYTHONHASHSEED="0")
    return env


def _read_capped(path: str, limit: int) -> str:
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    text = data[:limit].decode("utf-8", errors="replace")
    return text + ("\n[output truncated]" if len(data) > limit else "")
