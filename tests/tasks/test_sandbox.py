"""The sandbox against hostile programs: each is contained, fails, and leaves the parent healthy.

The corpus (sandbox_corpus.py) runs twice: as the current user (root in CI: the child drops
to `nobody`), and, when that is root, with the sandbox's parent itself an unprivileged user,
as most users run it: then the child keeps that uid, and only the sandbox's other layers
stand between it and the user's files and processes. The canary directory is writable by
that uid, so an escape would show.
"""
import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import dspy
import pytest

from pytest_arbitrage import sandbox
from pytest_arbitrage.tasks import get_task
from sandbox_corpus import BENIGN, HOSTILE

FAST = sandbox.Limits(timeout_s=3.0, memory_mb=256)
UNPRIVILEGED = sandbox.NOBODY  # uid and gid of the unprivileged parent
SECRET_NAME = "ARB_SANDBOX_TEST_SECRET"
CANARY_TEXT = "canary: must stay as it is\n"
AS = ["current user", "unprivileged user"]

# Runs as the unprivileged user: loads sandbox.py from a copy and runs one program in it.
DRIVER = r"""
import dataclasses, importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("sandbox", sys.argv[1])
sandbox = importlib.util.module_from_spec(spec)
sys.modules["sandbox"] = sandbox
spec.loader.exec_module(sandbox)
result = sandbox.run_python(open(sys.argv[2]).read(), sandbox.Limits(**json.loads(sys.argv[3])))
print(json.dumps({"uid": os.getuid(), "canary_writable": os.access(sys.argv[4], os.W_OK),
                  "result": dataclasses.asdict(result)}))
"""


def run(code: str) -> sandbox.SandboxResult:
    return sandbox.run_python(code, FAST)


@dataclasses.dataclass
class World:
    """A directory every uid can reach: the canary (outside any sandbox) and the driver's files."""

    path: str
    secret: str

    @property
    def canary(self) -> str:
        return os.path.join(self.path, "canary")

    @property
    def target(self) -> str:
        return os.path.join(self.canary, "canary.txt")

    @property
    def shm(self) -> str:
        return "/dev/shm/" + os.path.basename(self.path)

    def header(self) -> str:
        return (f"import os, sys\nCANARY, TARGET = {self.canary!r}, {self.target!r}\n"
                f"MARKER, SHM = {os.path.join(self.canary, 'pwned')!r}, {self.shm!r}\n")

    def state(self) -> tuple:
        info = os.stat(self.target)
        with open(self.target) as handle:
            text = handle.read()
        return (sorted(os.listdir(self.canary)), text, info.st_mode & 0o7777, info.st_uid, info.st_mtime_ns,
                info.st_nlink, os.path.exists(self.shm))


@pytest.fixture
def world(monkeypatch):
    path = tempfile.mkdtemp(prefix="arb-sandbox-test-")
    os.chmod(path, 0o755)
    canary = os.path.join(path, "canary")
    os.mkdir(canary)
    with open(os.path.join(canary, "canary.txt"), "w") as handle:
        handle.write(CANARY_TEXT)
    for item in (canary, os.path.join(canary, "canary.txt")):
        os.chmod(item, 0o777 if item == canary else 0o666)
        if os.geteuid() == 0:  # owned by the sandbox's uid: chmod, utime and the like would work
            os.chown(item, UNPRIVILEGED, UNPRIVILEGED)
    secret = f"sk-test-{uuid.uuid4().hex}"
    monkeypatch.setenv(SECRET_NAME, secret)
    made = World(path, secret)
    yield made
    shutil.rmtree(path, ignore_errors=True)
    if os.path.exists(made.shm):
        os.remove(made.shm)


def run_as(who: str, world: World, code: str) -> sandbox.SandboxResult:
    """Run `code` in the sandbox, its parent being this process or an unprivileged driver."""
    if who == "current user":
        return sandbox.run_python(code, FAST)
    if os.geteuid() != 0:
        pytest.skip("the current user is unprivileged already: the 'current user' run covers it")
    driver_dir = os.path.join(world.path, "driver")
    os.mkdir(driver_dir)
    shutil.copy(sandbox.__file__, os.path.join(driver_dir, "sandbox.py"))
    with open(os.path.join(driver_dir, "program.py"), "w") as handle:
        handle.write(code)
    python, _ = sandbox.interpreter()  # as root: one that the unprivileged user can run
    done = subprocess.run(
        [python, "-I", "-c", DRIVER, os.path.join(driver_dir, "sandbox.py"), os.path.join(driver_dir, "program.py"),
         json.dumps(dataclasses.asdict(FAST)), world.canary],
        user=UNPRIVILEGED, group=UNPRIVILEGED, extra_groups=[], cwd=driver_dir, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", SECRET_NAME: world.secret}, start_new_session=True, timeout=60,
    )
    assert done.returncode == 0, f"the unprivileged parent died or failed:\n{done.stdout}\n{done.stderr}"
    report = json.loads(done.stdout)
    assert report["uid"] == UNPRIVILEGED and report["canary_writable"]  # an escape would show
    return sandbox.SandboxResult(**report["result"])


@pytest.mark.parametrize("who", AS)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program_is_contained(name, who, world):
    before = world.state()
    result = run_as(who, world, world.header() + HOSTILE[name])
    output = result.stdout + result.stderr
    assert not result.ok, f"{name} ran to a clean exit:\n{output}"
    assert not re.search(r"\b(SyntaxError|IndentationError|NameError)\b", result.stderr), output  # failed at its attack
    assert world.state() == before, f"{name} changed the world outside the sandbox:\n{output}"
    assert world.secret not in output


@pytest.mark.parametrize("who", AS)
@pytest.mark.parametrize("name", sorted(BENIGN))
def test_ordinary_programs_run(name, who, world):
    code, expected = BENIGN[name]
    result = run_as(who, world, world.header() + code)
    assert result.ok and result.stdout.strip() == expected, result.stderr


def test_hostile_corpus_is_large_and_varied():
    assert len(HOSTILE) >= 30
    for needle in ("importlib", "__import__", "posix", "_io", "mmap", "os.open"):
        assert any(needle in code for code in HOSTILE.values()), needle


def test_as_root_without_an_interpreter_for_nobody_it_refuses(monkeypatch):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0)
    monkeypatch.setattr(sandbox, "_runnable_by_others", lambda path: False)
    sandbox.interpreter.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="nobody"):
            run("print(1)")
    finally:
        sandbox.interpreter.cache_clear()


def test_infinite_loop_is_killed_at_the_wall_clock_limit():
    limits = sandbox.Limits(timeout_s=1.0)
    start = time.monotonic()
    result = sandbox.run_python("while True:\n    pass", limits)
    assert result.timed_out and not result.ok
    assert time.monotonic() - start < limits.timeout_s + 2


def test_environment_secrets_are_not_visible(world):
    leak = run(f"import os\nprint(os.environ.get({SECRET_NAME!r}))\nassert {SECRET_NAME!r} in os.environ")
    assert not leak.ok and world.secret not in leak.stdout + leak.stderr


def test_network_connection_to_a_listening_port_is_blocked():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        result = run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'hi')")
        server.setblocking(False)  # a connection made would be waiting in the backlog now
        with pytest.raises(BlockingIOError):
            server.accept()
    assert not result.ok


def test_huge_output_is_capped_and_fails():
    result = run("while True:\n    print('x' * 100000)")
    assert not result.ok
    assert len(result.stdout) <= FAST.max_output + 100 and result.stdout.endswith("[output truncated]")


def test_code_task_scores_hostile_solutions_as_failures(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-123")
    task = get_task("code")
    example = task.load().train[0]
    hostile = f"import os\ndef {example.entry_point}(*a):\n    os.fork()\n"
    assert task.score(example, dspy.Prediction(code=hostile)).correct is False
    assert task.score(example, dspy.Prediction(code=example.code)).correct is True
    assert os.getpid() > 0 and os.environ["OPENAI_API_KEY"] == "sk-test-secret-123"  # the parent is untouched
