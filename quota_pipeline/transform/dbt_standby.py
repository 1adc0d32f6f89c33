"""A dbt process started at the beginning of a run, so the night's `dbt build` skips dbt's import.

Why: dagster-dbt runs every dbt command as a new process, and a new dbt process spends about
1.5 s importing dbt before it reads the project: at 100k accounts that is a tenth of the
night, on the critical path. A run therefore starts a *standby* when it begins: a process
that imports dbt (and the target's adapter) beside the ingest, on the machine's other core,
then waits. The executable dagster-dbt starts is ``quota-dbt`` (``client_main``). It hands
its arguments, environment, working folder and standard streams to the standby over a Unix
socket, forwards interrupts, and exits with the standby's exit code. The standby then *is*
that dbt command: it writes dbt's JSON log lines straight into dagster-dbt's pipe, exactly
as a dbt process of its own would.

A standby serves one command and exits (dbt keeps global state between invocations). With
no standby (``QUOTA_DBT_STANDBY`` unset, a second dbt command in the same run, a standby
that died), ``quota-dbt`` replaces itself with the venv's dbt: the same command, paying the
import again. Only the standard library is imported here until the standby imports dbt, so
the client starts in milliseconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

# The socket of the run's standby, for quota-dbt; set only in the dbt command's environment.
STANDBY_ENV = "QUOTA_DBT_STANDBY"
# The client's first line when the standby runs its command.
HANDED_OVER = "quota-dbt: this dbt command runs in the dbt standby the run started"
# The dbt installed beside this Python (the project's venv), the client's fallback.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
# The command the client is, for dagster-dbt's dbt_executable.
CLIENT_EXECUTABLE = str(Path(sys.executable).with_name("quota-dbt"))
# The adapter module dbt loads for each target; imported ahead with dbt itself.
ADAPTER_MODULES = {
    "duckdb": "dbt.adapters.duckdb",
    "postgres": "dbt.adapters.postgres",
    "spark": "dbt.adapters.spark",
}
# How often an idle standby checks that the run that started it is still alive.
IDLE_POLL_SECONDS = 1.0
# How long the end of a run waits for a standby to finish its command or its exit.
STOP_WAIT_SECONDS = 30
MAX_REQUEST_BYTES = 16 * 1024 * 1024
STREAMS = 3  # stdin, stdout, stderr


# --------------------------------------------------------------------------- the run's side


@dataclass
class DbtStandby:
    """A started standby: its process and the socket a client reaches it on."""

    process: subprocess.Popen[bytes]
    socket_path: Path

    @classmethod
    def start(cls, target: str) -> DbtStandby:
        """Start a standby for a dbt target; it imports dbt while the run goes on."""
        folder = Path(tempfile.mkdtemp(prefix="quota-dbt-standby-"))
        socket_path = folder / "dbt.sock"
        # Listening before the standby even starts: a client that comes early waits in the
        # backlog until dbt is imported, never falls back for being too early.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(str(socket_path))
            listener.listen(1)
            arguments = [str(listener.fileno()), str(socket_path), target, str(os.getpid())]
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, *arguments],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=[listener.fileno()],
                # Off the run's process group: a Ctrl-C reaches dbt once, through the client.
                start_new_session=True,
            )
        return cls(process=process, socket_path=socket_path)

    def environment(self) -> dict[str, str]:
        """The variable that points a dbt command at this standby, while it can serve one."""
        if self.process.poll() is not None:
            return {}
        return {STANDBY_ENV: str(self.socket_path)}

    def stop(self) -> None:
        """End the standby if no command took it; a command it serves runs to its end."""
        if self.process.poll() is None and not _serving_marker(self.socket_path).exists():
            self.process.terminate()
        # Reaped here, so that the run's CPU time counts the standby's.
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_WAIT_SECONDS)
        shutil.rmtree(self.socket_path.parent, ignore_errors=True)


def _serving_marker(socket_path: Path) -> Path:
    """Written by a standby when it takes a command: from then on it ends by itself."""
    return socket_path.with_name("serving")


# --------------------------------------------------------------------------- the standby


def _serve(listener_fd: int, socket_path: Path, target: str, parent_pid: int) -> int:
    """Import dbt and the target's adapter, then serve one command while the run lives.

    The standby's folder goes with it, whichever way it ends.
    """
    listener = socket.socket(fileno=listener_fd)
    try:
        from dbt.cli.main import cli

        with contextlib.suppress(ImportError):
            __import__(ADAPTER_MODULES.get(target, "dbt.adapters.factory"))
        connection = _wait_for_command(listener, socket_path, parent_pid)
        return 0 if connection is None else _serve_one(connection, cli)
    finally:
        shutil.rmtree(socket_path.parent, ignore_errors=True)


def _wait_for_command(
    listener: socket.socket, socket_path: Path, parent_pid: int
) -> socket.socket | None:
    """The client's connection; None when the run that started the standby is gone."""
    listener.settimeout(IDLE_POLL_SECONDS)
    while True:
        try:
            connection, _ = listener.accept()
            break
        except TimeoutError:
            if os.getppid() != parent_pid:
                return None
    _serving_marker(socket_path).touch()
    listener.close()
    socket_path.unlink(missing_ok=True)
    connection.settimeout(None)
    return connection


def _serve_one(connection: socket.socket, cli: object) -> int:
    """Become the client's dbt command, then send it the exit code."""
    request, streams = _receive_request(connection)
    sys.stdout.flush()
    sys.stderr.flush()
    for number, stream in enumerate(streams):
        os.dup2(stream, number)
        os.close(stream)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.argv = ["dbt", *request["args"]]
    signal.signal(signal.SIGINT, signal.default_int_handler)
    finished = threading.Event()
    threading.Thread(
        target=_interrupt_when_client_leaves, args=(connection, finished), daemon=True
    ).start()
    code = _run_dbt(cli)
    sys.stdout.flush()
    sys.stderr.flush()
    finished.set()
    with contextlib.suppress(OSError):
        connection.sendall(f"{code}\n".encode())
    connection.close()
    return code


def _interrupt_when_client_leaves(connection: socket.socket, finished: threading.Event) -> None:
    """Interrupt dbt, as Ctrl-C would, when its client is gone before the command ends.

    The client is the dbt process dagster-dbt knows: when it is killed (with its run, or by
    a process-group kill that a standby in its own session does not get), dbt stops too
    instead of writing on into the build file. The socket hangs up when the client closes.
    """
    poller = select.poll()
    poller.register(connection, select.POLLHUP)
    while not finished.is_set():
        if poller.poll(int(IDLE_POLL_SECONDS * 1000)) and not finished.is_set():
            os.kill(os.getpid(), signal.SIGINT)
            return


def _run_dbt(cli: object) -> int:
    """dbt's console script: ``sys.exit(cli())``, the exit code kept instead of exiting.

    Named ``dbt`` for click: under ``python -m`` it would call itself by this module's name.
    """
    try:
        result = cli(prog_name="dbt")  # type: ignore[operator]
    except SystemExit as exit_:
        result = exit_.code
    except KeyboardInterrupt:
        return 130
    if result is None:
        return 0
    return result if isinstance(result, int) else 1


def _receive_request(connection: socket.socket) -> tuple[dict, list[int]]:
    """The client's streams (first message) and its JSON request (until it stops writing)."""
    data, streams, _flags, _address = socket.recv_fds(connection, MAX_REQUEST_BYTES, STREAMS)
    chunks = [data]
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return json.loads(b"".join(chunks)), list(streams)


# --------------------------------------------------------------------------- the client


def client_main() -> None:
    """``quota-dbt ARGS``: dbt ARGS, run by the run's standby when there is one."""
    args = sys.argv[1:]
    socket_path = os.environ.get(STANDBY_ENV)
    connection = _connect(socket_path) if socket_path else None
    if connection is None:
        os.execv(DBT_EXECUTABLE, [DBT_EXECUTABLE, *args])
    sys.exit(_hand_over(connection, args))


def _connect(socket_path: str) -> socket.socket | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(socket_path)
    except OSError:
        connection.close()
        return None
    return connection


def _hand_over(connection: socket.socket, args: list[str]) -> int:
    """Send the command and the streams, forward interrupts, wait for the exit code."""
    # One plain line before dbt's JSON lines: dagster-dbt logs it as it is, and the run's
    # log says where this dbt ran.
    sys.stdout.write(f"{HANDED_OVER}\n")
    sys.stdout.flush()
    env = {key: value for key, value in os.environ.items() if key != STANDBY_ENV}
    request = json.dumps({"args": args, "env": env, "cwd": os.getcwd()}).encode()
    socket.send_fds(connection, [request[:1]], list(range(STREAMS)))
    connection.sendall(request[1:])
    connection.shutdown(socket.SHUT_WR)
    standby_pid = _peer_pid(connection)

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(standby_pid, signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, forward)
    reply = b""
    # A forwarded signal interrupts recv only to run `forward`; Python then resumes it.
    while chunk := connection.recv(64):
        reply += chunk
    if not reply.strip():
        sys.stderr.write("quota-dbt: the dbt standby ended without an exit code\n")
        return 1
    return int(reply)


def _peer_pid(connection: socket.socket) -> int:
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    pid, _uid, _gid = struct.unpack("3i", credentials)
    return pid


if __name__ == "__main__":
    sys.exit(_serve(int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])))
