"""Hostile programs for the sandbox tests, by name.

Each runs after a header that defines CANARY (a directory outside the sandbox that the
sandbox's uid may write to), TARGET (a file in it), MARKER (a path in it that must never
appear) and SHM (the same under /dev/shm), and imports os and sys. Every program is written
so that, should its attack work, it exits 0 or leaves a trace in CANARY or SHM (or kills, or
reads a secret of, its parent process).
"""

# _posixsubprocess.fork_exec's 23 arguments in CPython 3.11, running `sh -c SCRIPT`.
FORK_EXEC = """
def fork_exec(module, script):
    read, write = os.pipe()
    module.fork_exec([b"/bin/sh", b"-c", script.encode()], [b"/bin/sh"], True, (write,), None, None,
                     -1, -1, -1, -1, -1, -1, read, write, True, False, -1, None, None, None, -1, None, False)
    os.close(write)
    os.read(read, 1)  # closes when the child execs
    import time
    time.sleep(0.3)
"""
TOUCH = "f'echo pwned > {MARKER}'"

HOSTILE = {
    # -- any import path to a native module that can start processes ------------------------
    "importlib_posixsubprocess_fork_exec": FORK_EXEC + f"""
import importlib
fork_exec(importlib.import_module("_posixsubprocess"), {TOUCH})
""",
    "dunder_import_posixsubprocess": FORK_EXEC + f"fork_exec(__import__('_posixsubprocess'), {TOUCH})",
    "importlib_dunder_import_posixsubprocess": FORK_EXEC + f"""
import importlib
fork_exec(importlib.__import__("_posixsubprocess"), {TOUCH})
""",
    "imp_create_builtin_posixsubprocess": FORK_EXEC + f"""
import _imp
from importlib.machinery import ModuleSpec
fork_exec(_imp.create_builtin(ModuleSpec("_posixsubprocess", None)), {TOUCH})
""",
    "find_spec_module_from_spec_posixsubprocess": FORK_EXEC + f"""
import importlib.util
spec = importlib.util.find_spec("_posixsubprocess")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
fork_exec(module, {TOUCH})
""",
    "extension_loader_for_a_library_so": """
import importlib.machinery, importlib.util
for folder in sys.path:
    for name in (os.listdir(folder) if os.path.isdir(folder) else ()):
        if name.startswith(("_ctypes.", "_socket.", "_posixsubprocess.")) and name.endswith(".so"):
            loader = importlib.machinery.ExtensionFileLoader(name.split(".")[0], os.path.join(folder, name))
            module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
            print("loaded", module)
            sys.exit(0)
sys.exit(0)  # none on disk: then builtin ones, covered above; count as an escape to stay honest
""",
    "subprocess_run": "import subprocess\nsubprocess.run(['sh', '-c', f'echo pwned > {MARKER}'])",
    "importlib_subprocess_run": """
import importlib
importlib.import_module("subprocess").run(["sh", "-c", f"echo pwned > {MARKER}"])
""",
    "os_system": "os.system(f'echo pwned > {MARKER}')",
    "os_popen": "print(os.popen(f'echo pwned > {MARKER}').read())",
    "os_posix_spawn": "os.waitpid(os.posix_spawn('/bin/sh', ['sh', '-c', f'echo pwned > {MARKER}'], {}), 0)",
    "os_execv": "os.execv('/bin/sh', ['sh', '-c', f'echo pwned > {MARKER}'])",
    "os_spawnv": "os.spawnv(os.P_WAIT, '/bin/sh', ['sh', '-c', f'echo pwned > {MARKER}'])",
    "posix_module_fork": """
posix = sys.modules["posix"]
if posix.fork() == 0:
    posix.execv("/bin/sh", ["sh", "-c", f"echo pwned > {MARKER}"])
""",
    "posix_system": "import posix\nposix.system(f'echo pwned > {MARKER}')",
    "pty_spawn": "import pty\npty.spawn(['sh', '-c', f'echo pwned > {MARKER}'])",
    "multiprocessing_process": """
import multiprocessing
process = multiprocessing.Process(target=print)
process.start()
process.join()
""",
    "fork_bomb": "while True:\n    os.fork()",
    "thread_explosion": """
import threading, time
threads = [threading.Thread(target=time.sleep, args=(1,)) for _ in range(1000)]
for thread in threads:
    thread.start()
""",
    # -- sockets, ctypes, other native escapes ------------------------------------------------
    "importlib_socket": "import importlib\nimportlib.import_module('_socket').socket().close()",
    "socket_module": "import socket\nsocket.socket().close()",
    "ctypes_libc_system": "import ctypes\nctypes.CDLL(None).system(f'echo pwned > {MARKER}'.encode())",
    "importlib_ctypes": "import importlib\nimportlib.import_module('_ctypes')",
    "subinterpreter": """
import _xxsubinterpreters as interpreters  # a subinterpreter has no audit hook
interpreters.run_string(interpreters.create(), "pass")
""",
    "imp_get_frozen_object_bytecode": """
import _imp, marshal
exec(_imp.get_frozen_object("x", marshal.dumps(compile("pass", "x", "exec"))))
""",
    "marshal_loads_bytecode": "import marshal\nexec(marshal.loads(marshal.dumps(compile('pass', 'x', 'exec'))))",
    "pickle_os_system": """
import pickle
pickle.loads(b"cos\\nsystem\\n(S" + repr(f"echo pwned > {MARKER}").encode() + b"\\ntR.")
""",
    "reload_imp_for_its_loaders": """
import _imp, importlib
importlib.reload(_imp)
_imp.create_builtin(type("Spec", (), {"name": "_posixsubprocess"})())
""",
    "proc_self_mem_write": "open('/proc/self/mem', 'r+b').write(b'pwned')",
    "code_object_by_hand": "code = (lambda: 0).__code__\nexec(code.replace(co_consts=()))",
    "readline_history_file": "import readline\nreadline.write_history_file(MARKER)",
    "posixshmem_open": "import _posixshmem\n_posixshmem.shm_open(SHM[len('/dev/shm'):], os.O_CREAT | os.O_RDWR)",
    # -- low-level writes outside the sandbox ------------------------------------------------
    "os_open_creat_read_only": "os.close(os.open(MARKER, os.O_CREAT | os.O_RDONLY))",
    "os_open_write_truncate": "os.write(os.open(TARGET, os.O_WRONLY | os.O_TRUNC), b'pwned')",
    "fileio_write": "import _io\n_io.FileIO(MARKER, 'w').write(b'pwned')",
    "io_open_append": "import io\nio.open(TARGET, 'a').write('pwned')",
    "bytes_path_write": "open(MARKER.encode(), 'w').write('pwned')",
    "pathlib_write": "import pathlib\npathlib.Path(MARKER).write_text('pwned')",
    "pathlike_changes_its_answer": """
class Path:
    calls = 0
    def __fspath__(self):  # outside for the call, inside for a second look
        Path.calls += 1
        return MARKER if Path.calls == 1 else "inside"
os.close(os.open(Path(), os.O_CREAT | os.O_WRONLY))
""",
    "str_subclass_path": """
class Sneaky(str):
    def startswith(self, *args):
        return True
    def split(self, *args):
        return ["inside"]
open(Sneaky(MARKER), "w").write("pwned")
""",
    "mmap_write_outside": """
import mmap
mapping = mmap.mmap(os.open(TARGET, os.O_RDONLY), 0, access=mmap.ACCESS_WRITE)
mapping[:5] = b"pwned"
mapping.flush()
""",
    "tempfile_in_canary": "import tempfile\ntempfile.mkstemp(dir=CANARY)",
    "dev_shm_write": "open(SHM, 'w').write('pwned')",
    "mkdir_outside": "os.mkdir(MARKER)",
    "symlink_out": "os.symlink(CANARY, 'out')\nopen('out/pwned', 'w').write('pwned')",
    "hardlink_in": "os.link(TARGET, 'hard')\nopen('hard', 'w').write('pwned')",
    "hardlink_through_proc_fd": """
fd = os.open(TARGET, os.O_RDONLY)
os.link(f"/proc/self/fd/{fd}", "hard")
open("hard", "w").write("pwned")
""",
    "rename_out": "open('x', 'w').write('pwned')\nos.rename('x', MARKER)",
    "rename_target_in": "os.rename(TARGET, 'stolen')",
    "remove_target": "os.remove(TARGET)",
    "shutil_rmtree_canary": "import shutil\nshutil.rmtree(CANARY)",
    "chmod_target": "os.chmod(TARGET, 0o777)",
    "fchmod_target": "os.fchmod(os.open(TARGET, os.O_RDONLY), 0o777)",
    "truncate_target": "os.truncate(TARGET, 0)",
    "utime_target": "os.utime(TARGET, (0, 0))",
    "mkfifo_outside": "os.mkfifo(MARKER)",
    "mknod_outside": "import posix\nposix.mknod(MARKER)",
    "mkfifo_from_os_supports_dir_fd": "[f for f in os.supports_dir_fd if f.__name__ == 'mkfifo'][0](MARKER)",
    "reload_posix_for_mkfifo": "import importlib, posix\nimportlib.reload(posix).mkfifo(MARKER)",
    "chdir_out_then_write": "os.chdir(CANARY)\nopen('pwned', 'w').write('pwned')",
    "dir_fd_outside": """
fd = os.open(CANARY, os.O_RDONLY)
os.close(os.open("pwned", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
""",
    "stat_result_patched_then_dir_fd": """
os.stat_result.st_mode = property(lambda self: 0o100644)  # directories look like files now
fd = os.open(CANARY, os.O_RDONLY)
os.close(os.open("pwned", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
""",
    "dotdot_relative_to_dir_fd": """
root = os.getcwd()
os.makedirs("a/b/c")
fd = os.open(".", os.O_RDONLY)
os.chdir("a/b/c")  # '..' paths now look inside, relative to the cwd, but not to fd
escape = os.path.relpath(MARKER, root)
os.close(os.open(escape, os.O_CREAT | os.O_WRONLY, dir_fd=fd))
""",
    # -- other processes: the parent (same uid when it is not root) --------------------------
    "kill_parent": "os.kill(os.getppid(), 9)",
    "killpg_parent": "os.killpg(os.getpgid(os.getppid()), 9)",
    "pidfd_kill_parent": "import signal\nsignal.pidfd_send_signal(os.pidfd_open(os.getppid()), 9)",
    "proc_dir_as_pidfd": """
import _signal
fd = os.open(f"/proc/{os.getppid()}", os.O_RDONLY)
getattr(_signal, "pidfd_send_signal", None)(fd, 9)
""",
    "setpriority_parent": "os.setpriority(os.PRIO_PROCESS, os.getppid(), 19)",
    "proc_parent_environ": "print(open(f'/proc/{os.getppid()}/environ').read())",
    "proc_self_root_parent_environ": "print(open(f'/proc/self/root/proc/{os.getppid()}/environ').read())",
    "proc_parent_mem": "print(open(f'/proc/{os.getppid()}/mem', 'rb').read(16))",
    "setrlimit_raise_nproc": """
import resource
resource.setrlimit(resource.RLIMIT_NPROC, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
os.fork()
""",
    "prlimit_parent": "import resource\nresource.prlimit(os.getppid(), resource.RLIMIT_NOFILE, (3, 3))",
    # -- neutralising the guard --------------------------------------------------------------
    "main_globals_tamper": """
main = vars(sys.modules["__main__"])
main.update(root=CANARY, BLOCKED_EVENTS=(), BLOCKED_IMPORTS=frozenset(), PATH_EVENTS=frozenset())
open(MARKER, "w").write("pwned")
""",
    "realpath_patch": """
import posixpath
posixpath.realpath = os.path.realpath = lambda path, **kw: os.getcwd() + "/x"
os.fsdecode = lambda path: "x"
open(MARKER, "w").write("pwned")
""",
    "builtins_tamper": """
import builtins
builtins.isinstance = lambda *a: False
builtins.issubclass = lambda *a: False
builtins.PermissionError = type("Harmless", (Exception,), {})
open(MARKER, "w").write("pwned")
""",
    "addaudithook": "sys.addaudithook(lambda *args: None)\nopen(MARKER, 'w').write('pwned')",
    "gc_clear_hook_list": """
import gc
for obj in gc.get_objects():
    if type(obj) is list and any(getattr(item, "__name__", "") == "guard" for item in obj):
        obj.clear()
open(MARKER, "w").write("pwned")
""",
    "traceback_frame_tamper": """
import types
try:
    open(MARKER, "w")
except PermissionError as error:
    tb = error.__traceback__
    while tb.tb_next:
        tb = tb.tb_next
    frame = tb.tb_frame
    for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
        if type(value) is types.FunctionType:
            value.__code__ = (lambda *a, **k: None).__code__
        elif type(value) in (dict, list, set):
            value.clear()
open(MARKER, "w").write("pwned")
""",
    "settrace": "sys.settrace(lambda *a: None)\nopen(MARKER, 'w').write('pwned')",
    "exec_with_other_builtins": """
exec(compile(f"open({MARKER!r}, 'w').write('pwned')", "x", "exec"), {"__builtins__": {"open": open}})
""",
    # -- resources ---------------------------------------------------------------------------
    "memory_bomb": "chunks = []\nwhile True:\n    chunks.append(bytearray(64 * 1024 * 1024))",
    "infinite_output": "while True:\n    print('x' * 100000)",
    "file_bomb_inside": "open('big', 'wb').write(b'x' * (64 * 1024 * 1024))",
    "open_files_exhaust": "files = [open('/dev/null') for _ in range(100000)]",
}

# Programs the sandbox must run, with their output: what solutions do.
BENIGN = {
    "stdlib_imports": ("""
from typing import List
import bisect, collections, dataclasses, datetime, decimal, fractions, functools, hashlib, heapq
import inspect, itertools, json, math, random, re, statistics, string
@dataclasses.dataclass
class Point:
    x: int
print(Point(3).x, decimal.Decimal(1) / 4, hashlib.sha256(b"").hexdigest()[:8], json.dumps([1]))
""", "3 0.25 e3b0c442 [1]"),
    "files_inside_the_sandbox": ("""
import pathlib, shutil, tempfile
os.makedirs("a/b")
pathlib.Path("a/b/c.txt").write_text("hi")
os.rename("a/b/c.txt", "a/c.txt")
handle, name = tempfile.mkstemp()
os.close(handle)
os.remove(name)
shutil.rmtree("a/b")
print("hidden", file=open(os.devnull, "w"))
print(open("a/c.txt").read(), sorted(os.listdir("a")))
""", "hi ['c.txt']"),
    "exit_zero": ("print('bye')\nexit(0)", "bye"),
}
