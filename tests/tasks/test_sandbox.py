"""The sandbox against hostile programs: each is contained, fails, and leaves the parent healthy."""
import os
import socket
import threading
import time
import uuid

import dspy
import pytest

from pytest_arbitrage import sandbox
from pytest_arbitrage.tasks import get_task

FAST = sandbox.Limits(timeout_s=2.0, memory_mb=256)


def run(code: str) -> sandbox.SandboxResult:
    return sandbox.run_python(code, FAST)


def test_a_plain_program_runs_and_may_write_in_its_own_directory():
    result = run("open('note.txt', 'w').write('hi')\nprint(open('note.txt').read(), 6 * 7)")
    assert result.ok and result.stdout.strip() == "hi 42"


def test_infinite_loop_is_killed_at_the_wall_clock_limit():
    start = time.monotonic()
    result = run("while True:\n    pass")
    assert result.timed_out and not result.ok
    assert time.monotonic() - start < FAST.timeout_s + 2


@pytest.mark.parametrize(
    "code",
    ["import os\nwhile True:\n    os.fork()",
     "import subprocess\nwhile True:\n    subprocess.Popen(['sleep', '100'])",
     "import os\nos.system('sleep 100 &')",
     "import multiprocessing\nmultiprocessing.Process(target=print).start()"],
)
def test_fork_bombs_and_child_processes_are_refused(code):
    result = run(code)
    assert not result.ok and not result.timed_out
    assert "not allowed" in result.stderr


def test_memory_hog_hits_the_memory_limit():
    result = run("chunks = []\nwhile True:\n    chunks.append(bytearray(50 * 1024 * 1024))")
    assert not result.ok and "MemoryError" in result.stderr


def test_writing_outside_the_temp_dir_is_refused(tmp_path):
    target = tmp_path / f"escape-{uuid.uuid4().hex}"
    tmp_path.chmod(0o777)  # even a world-writable directory outside the sandbox is off limits
    result = run(f"open({str(target)!r}, 'w').write('pwned')")
    assert not result.ok and not target.exists()
    result = run(f"import os\nos.mkdir({str(target)!r})")
    assert not result.ok and not target.exists()


def test_environment_secrets_are_not_visible(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-123")
    leak = run("import os\nprint(os.environ.get('OPENAI_API_KEY'))\nassert 'OPENAI_API_KEY' in os.environ")
    assert not leak.ok and "sk-test-secret" not in leak.stdout + leak.stderr
    proc = run(f"print(open('/proc/{os.getpid()}/environ').read())")
    assert not proc.ok and "sk-test-secret" not in proc.stdout + proc.stderr


def test_network_connection_to_a_listening_port_is_blocked():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(3)
    port = server.getsockname()[1]
    accepted = []
    thread = threading.Thread(target=lambda: _accept(server, accepted))
    thread.start()
    result = run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'hi')")
    thread.join()
    server.close()
    assert not result.ok and accepted == []


def _accept(server, accepted):
    try:
        accepted.append(server.accept())
    except OSError:
        pass


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
