"""Upload benchmark: large files through the running app to each document store, beside boto3.

Run from the project folder (Linux: the server's memory is read from /proc):

    .venv/bin/python infra/bench/upload.py                      # 10 MB, 100 MB, 1 GB; local and S3
    .venv/bin/python infra/bench/upload.py --sizes 10,100 --backends s3 --repeat 5

What it does:

1. In a temporary folder: a SQLite database, migrated and loaded with the demo data; a confirmed
   claimant; WCAT's limits raised to 2 GB per file and 4 GB per case.
2. One valid PDF per size (MB here means MiB): a one-page PDF whose bulk is a stream object of
   random bytes, with a correct cross-reference table, so `filings.documents.inspect` accepts it
   (checked before the run).
3. moto's S3 server (`ThreadedMotoServer`) in a subprocess on loopback.
4. For each size and backend, a fresh app server (`python -m tribune serve`, one uvicorn process,
   no inline worker) as a subprocess. The claimant signs in and uploads a 1 MB PDF (a warm-up:
   a fresh process loads modules and opens connections on its first upload, which a running
   server has done long before), then the file --repeat times, each time to the "decision" slot
   of a new draft of WCAT's benefits appeal, through the real route, the request body streamed
   from a generator by httpx (never built in memory). An upload is timed from its first byte
   sent to the response, so it covers the spooling, the content check and the write to the
   store; the median time is kept. After each upload the document's row and stored object are
   checked to hold the whole file. The server's peak resident memory is VmHWM from
   /proc/<pid>/status. VmHWM is a high-water mark over a process's whole life, so each size gets
   its own server and its peak is that size's; "before upload" is the VmHWM after the warm-up,
   just before the timed uploads.
5. For each size, the same file uploaded by plain boto3 `upload_file` (default transfer settings:
   8 MB parts, 10 threads) to the same moto server, after the same warm-up, median of --repeat,
   as the reference throughput.

It prints a table and exits 1 when a target is missed: for each backend, the peak memory of the
largest size at most 1.1 times that of the smallest; every upload's throughput at least half of
plain boto3's for the same size. Everything it writes is under one temporary folder (--tmp), which
is removed at the end; it needs about 3.5 times the largest size plus the sum of the sizes free.
A full run takes about four minutes on two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT))

import boto3  # noqa: E402
import botocore.config  # noqa: E402
import httpx  # noqa: E402
from processes import free_port, stop, wait_for  # noqa: E402

MiB = 1024 * 1024
CLAIMANT = "bench-claimant@example.org"
PASSWORD = "bench-password-" + secrets.token_hex(8)
BUCKET = "tribune-bench"
AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
MEMORY_TARGET = 1.1  # peak RSS of the largest size / that of the smallest, at most
THROUGHPUT_TARGET = 0.5  # app throughput / plain boto3 throughput, at least
READ_CHUNK = MiB
MOTO_SERVER = (
    "import sys, threading\n"
    "from moto.server import ThreadedMotoServer\n"
    "server = ThreadedMotoServer(ip_address='127.0.0.1', port=int(sys.argv[1]), verbose=False)\n"
    "server.start()\n"
    "threading.Event().wait()\n"
)


@dataclass
class Result:
    backend: str
    size_mib: int
    seconds: float
    peak_before_kib: int = 0
    peak_kib: int = 0

    @property
    def throughput(self) -> float:
        return self.size_mib / self.seconds


# -- set-up -------------------------------------------------------------------------------------


def write_pdf(path: Path, size: int) -> None:
    """Write a valid one-page PDF of exactly ``size`` bytes, its bulk one stream of random bytes."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << >> >>",
    ]
    header = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offsets: list[int] = []
    head = bytearray(header)
    for number, body in enumerate(objects, start=1):
        offsets.append(len(head))
        head += b"%d 0 obj\n" % number + body + b"\nendobj\n"

    def tail(padding_offset: int, padding: int) -> bytes:
        # Object 4: the padding, a stream nothing refers to (like an unused embedded file).
        xref_at = padding_offset + padding + len(b"\nendstream\nendobj\n")
        entries = [b"0000000000 65535 f \n"] + [
            b"%010d 00000 n \n" % offset for offset in [*offsets, len(head)]
        ]
        return (
            b"\nendstream\nendobj\n"
            + b"xref\n0 5\n"
            + b"".join(entries)
            + b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref_at
        )

    def stream_header(padding: int) -> bytes:
        return b"4 0 obj\n<< /Length %d >>\nstream\n" % padding

    # The numbers written in the file depend on the padding's length: settle it by iterating.
    padding = size
    for _ in range(10):
        padding_offset = len(head) + len(stream_header(padding))
        settled = size - padding_offset - len(tail(padding_offset, padding))
        if settled == padding:
            break
        padding = settled
    if padding < 0:
        raise ValueError(f"{size} bytes is too small for the benchmark's PDF")
    block = os.urandom(MiB)
    with open(path, "wb") as file:
        file.write(head + stream_header(padding))
        remaining = padding
        while remaining:
            written = file.write(block[: min(remaining, MiB)])
            remaining -= written
        file.write(tail(padding_offset, padding))
    if path.stat().st_size != size:
        raise AssertionError(f"{path} is {path.stat().st_size} bytes, not {size}")


def check_accepted(path: Path) -> None:
    from filings.documents.inspection import FileKind, inspect

    inspection = inspect(path, path.stat().st_size)
    if inspection.kind is not FileKind.PDF or not inspection.accepted:
        raise AssertionError(f"the app would refuse {path.name}: {inspection}")


def prepare_database(environment: dict[str, str]) -> str:
    """Migrate, load the demo data, add the claimant, raise WCAT's limits; return the version id."""
    for command in (["migrate"], ["demo-data"]):
        subprocess.run(
            [sys.executable, "-m", "tribune", *command],
            cwd=PROJECT_ROOT,
            env=environment,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return asyncio.run(_prepare(environment["TRIBUNE_DATABASE_URL"]))


async def _prepare(database_url: str) -> str:
    from sqlalchemy import select, update

    from accounts.services import ensure_user
    from filings.models import CaseType, CaseTypeVersion, VersionStatus
    from tribunals.models import Tribunal
    from tribune.db import Database

    database = Database.from_url(database_url)
    try:
        async with database.session() as db:
            await ensure_user(db, email=CLAIMANT, name="Bench Claimant", password=PASSWORD)
            await db.execute(
                update(Tribunal)
                .where(Tribunal.slug == "wcat")
                .values(max_file_megabytes=2048, max_case_megabytes=4096)
            )
            version_id = (
                await db.execute(
                    select(CaseTypeVersion.id)
                    .join(CaseType, CaseType.id == CaseTypeVersion.case_type_id)
                    .join(Tribunal, Tribunal.id == CaseType.tribunal_id)
                    .where(
                        Tribunal.slug == "wcat",
                        CaseType.code == "benefits-appeal",
                        CaseTypeVersion.status == VersionStatus.PUBLISHED,
                    )
                )
            ).scalar_one()
            await db.commit()
            return str(version_id)
    finally:
        await database.dispose()


def s3_client(endpoint: str) -> Any:
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=AWS["AWS_DEFAULT_REGION"],
        aws_access_key_id=AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS["AWS_SECRET_ACCESS_KEY"],
        config=botocore.config.Config(signature_version="s3v4"),
    )


def empty_moto(endpoint: str, s3: Any) -> None:
    """Drop every object moto holds (its temporary files too), and start with an empty bucket."""
    httpx.post(f"{endpoint}/moto-api/reset", timeout=60).raise_for_status()
    s3.create_bucket(Bucket=BUCKET)


# -- one upload through the app -----------------------------------------------------------------


def peak_rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    if match is None:
        raise RuntimeError("no VmHWM in /proc/<pid>/status: is this Linux?")
    return int(match.group(1))


def csrf_token(page: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if match is None:
        raise RuntimeError(f"no CSRF token on {page.url}")
    return match.group(1)


def multipart_body(token: str, path: Path, boundary: str) -> tuple[Iterator[bytes], int]:
    """Return a generator of the request body (the token first, as the route wants), its length."""
    preamble = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{token}\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file-decision"; filename="decision.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    epilogue = f"\r\n--{boundary}--\r\n".encode()

    def chunks() -> Iterator[bytes]:
        yield preamble
        with open(path, "rb") as file:
            while chunk := file.read(READ_CHUNK):
                yield chunk
        yield epilogue

    return chunks(), len(preamble) + path.stat().st_size + len(epilogue)


def upload_through_app(
    backend: str,
    size_mib: int,
    path: Path,
    warm_up: Path,
    repeat: int,
    version_id: str,
    environment: dict[str, str],
    workdir: Path,
) -> Result:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "tribune", "serve", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(f"{base}/healthz", server)
        with httpx.Client(base_url=base, timeout=httpx.Timeout(1800)) as client:
            signed_in = client.post(
                "/sign-in",
                data={
                    "email": CLAIMANT,
                    "password": PASSWORD,
                    "csrf_token": csrf_token(client.get("/sign-in")),
                },
            )
            if signed_in.status_code != 303:
                raise RuntimeError(f"sign-in failed: {signed_in.status_code}")
            # A first small upload loads what a fresh process loads once (modules, connections).
            upload_once(client, backend, warm_up, version_id, environment, workdir)
            before = peak_rss_kib(server.pid)
            times = [
                upload_once(client, backend, path, version_id, environment, workdir)
                for _ in range(repeat)
            ]
            peak = peak_rss_kib(server.pid)
        return Result(backend, size_mib, statistics.median(times), before, peak)
    except BaseException:
        stop(server)
        assert server.stderr is not None
        sys.stderr.write(server.stderr.read().decode(errors="replace")[-4000:])
        raise
    finally:
        stop(server)
        if server.stderr is not None:
            server.stderr.close()


def upload_once(
    client: httpx.Client,
    backend: str,
    path: Path,
    version_id: str,
    environment: dict[str, str],
    workdir: Path,
) -> float:
    """Upload a file to a new draft's "decision" slot; return the seconds it took."""
    if backend == "s3":
        with contextlib.closing(s3_client(environment["TRIBUNE_S3_ENDPOINT_URL"])) as s3:
            empty_moto(environment["TRIBUNE_S3_ENDPOINT_URL"], s3)
    start = f"/wcat/file/{version_id}"
    started = client.post(start, data={"csrf_token": csrf_token(client.get(start))})
    if started.status_code != 303:
        raise RuntimeError(f"could not start a draft: {started.status_code}")
    filing_url = started.headers["location"].rsplit("/", 1)[0]
    token = csrf_token(client.get(f"{filing_url}/documents"))
    boundary = "bench" + secrets.token_hex(12)
    body, length = multipart_body(token, path, boundary)
    began = time.perf_counter()
    response = client.post(
        f"{filing_url}/documents/decision/upload",
        content=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
        },
    )
    seconds = time.perf_counter() - began
    if response.status_code != 303:
        raise RuntimeError(f"upload refused: {response.status_code}\n{response.text[-2000:]}")
    check_stored(backend, path.stat().st_size, filing_url, environment, workdir)
    return seconds


def check_stored(
    backend: str, size: int, filing_url: str, environment: dict[str, str], workdir: Path
) -> None:
    """Check the document's row and its object hold the whole file; then drop the object."""
    filing_id = uuid.UUID(filing_url.rsplit("/", 1)[1]).hex
    with contextlib.closing(sqlite3.connect(workdir / "tribune.sqlite3")) as connection:
        rows = connection.execute(
            "SELECT size, storage_key FROM documents WHERE filing_id = ?", (filing_id,)
        ).fetchall()
    if [row[0] for row in rows] != [size]:
        raise AssertionError(f"expected one document of {size} bytes, found {rows}")
    key = rows[0][1]
    if backend == "local":
        stored_path = Path(environment["TRIBUNE_STORAGE_URL"]) / key
        stored = stored_path.stat().st_size
        stored_path.unlink()  # disk space; S3's objects go when moto is emptied
    else:
        with contextlib.closing(s3_client(environment["TRIBUNE_S3_ENDPOINT_URL"])) as s3:
            stored = s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
    if stored != size:
        raise AssertionError(f"the stored object has {stored} bytes, not {size}")


def upload_with_boto3(
    endpoint: str, size_mib: int, path: Path, warm_up: Path, repeat: int
) -> Result:
    """Time plain boto3 uploads of the file (after a warm-up, like the app's); the median."""
    times = []
    with contextlib.closing(s3_client(endpoint)) as s3:
        for run in range(repeat + 1):
            empty_moto(endpoint, s3)
            source = warm_up if run == 0 else path
            began = time.perf_counter()
            s3.upload_file(str(source), BUCKET, "boto3/upload")
            seconds = time.perf_counter() - began
            stored = s3.head_object(Bucket=BUCKET, Key="boto3/upload")["ContentLength"]
            if stored != source.stat().st_size:
                raise AssertionError("boto3's object is incomplete")
            if run:
                times.append(seconds)
        empty_moto(endpoint, s3)
    return Result("boto3", size_mib, statistics.median(times))


# -- the run ------------------------------------------------------------------------------------


def server_environment(backend: str, workdir: Path, moto_endpoint: str) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("TRIBUNE_", "AWS_"))
    }
    environment.update(AWS)
    spool = workdir / "spool"  # the server's upload temporary files, and moto's
    spool.mkdir(exist_ok=True)
    environment.update(
        {
            "TMPDIR": str(spool),
            "TRIBUNE_ENV": "development",
            "TRIBUNE_DATA_DIR": str(workdir),
            "TRIBUNE_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'tribune.sqlite3'}",
            "TRIBUNE_INLINE_WORKER": "false",  # the web process only: no job runs mid-upload
            "TRIBUNE_LOG_LEVEL": "WARNING",
            "AWS_CONFIG_FILE": str(workdir / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(workdir / "no-aws-credentials"),
        }
    )
    if backend == "s3":
        environment["TRIBUNE_STORAGE_URL"] = f"s3://{BUCKET}"
        environment["TRIBUNE_S3_ENDPOINT_URL"] = moto_endpoint
        environment["TRIBUNE_S3_REGION"] = AWS["AWS_DEFAULT_REGION"]
    else:
        environment["TRIBUNE_STORAGE_URL"] = str(workdir / "documents")
    return environment


def print_table(results: list[Result], references: dict[int, Result]) -> None:
    print()
    print(
        f"{'backend':<8} {'size':>8} {'time s':>8} {'MB/s':>8} {'vs boto3':>9} "
        f"{'peak RSS MB':>12} {'before upload':>14}"
    )
    for result in results:
        reference = references[result.size_mib]
        ratio = result.throughput / reference.throughput
        memory = (
            f"{result.peak_kib / 1024:>12.1f} {result.peak_before_kib / 1024:>14.1f}"
            if result.peak_kib
            else f"{'-':>12} {'-':>14}"
        )
        print(
            f"{result.backend:<8} {result.size_mib:>5} MB {result.seconds:>8.2f} "
            f"{result.throughput:>8.1f} {ratio:>9.2f} {memory}"
        )
    print("(MB = 2^20 bytes; peak RSS = the app server's VmHWM; boto3 runs in this process)")


def check_targets(results: list[Result], references: dict[int, Result]) -> list[str]:
    misses = []
    for result in results:
        if result.backend == "boto3":
            continue
        ratio = result.throughput / references[result.size_mib].throughput
        if ratio < THROUGHPUT_TARGET:
            misses.append(
                f"{result.backend} {result.size_mib} MB: {result.throughput:.1f} MB/s is "
                f"{ratio:.2f} of boto3's, below {THROUGHPUT_TARGET}"
            )
    for backend in sorted({r.backend for r in results} - {"boto3"}):
        runs = sorted((r for r in results if r.backend == backend), key=lambda r: r.size_mib)
        if len(runs) < 2:
            continue
        smallest, largest = runs[0], runs[-1]
        ratio = largest.peak_kib / smallest.peak_kib
        if ratio > MEMORY_TARGET:
            misses.append(
                f"{backend}: peak RSS for {largest.size_mib} MB is {ratio:.3f} times that for "
                f"{smallest.size_mib} MB, above {MEMORY_TARGET}"
            )
    return misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="10,100,1024", help="file sizes in MB (default: %(default)s)"
    )
    parser.add_argument(
        "--backends", default="local,s3", help="local, s3 or both (default: %(default)s)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed uploads per case, median kept (default: 3)"
    )
    parser.add_argument(
        "--tmp", default=tempfile.gettempdir(), help="where to put the temporary folder"
    )
    arguments = parser.parse_args(argv)
    sizes = sorted({int(size) for size in arguments.sizes.split(",")})
    backends = [backend.strip() for backend in arguments.backends.split(",")]
    if not sizes or min(sizes) < 1 or not set(backends) <= {"local", "s3"}:
        parser.error("sizes are whole numbers of MB; backends are local and s3")
    if arguments.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not Path("/proc/self/status").exists():
        parser.error("this benchmark reads the server's memory from /proc: run it on Linux")

    needed = (sum(sizes) + 3.5 * max(sizes)) * MiB
    free = shutil.disk_usage(arguments.tmp).free
    if free < needed:
        print(f"error: {arguments.tmp} has {free / MiB:.0f} MB free, {needed / MiB:.0f} needed")
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="tribune-bench-", dir=arguments.tmp))
    moto: subprocess.Popen[bytes] | None = None
    try:
        moto_port = free_port()
        moto_endpoint = f"http://127.0.0.1:{moto_port}"
        environments = {b: server_environment(b, workdir, moto_endpoint) for b in backends}
        any_environment = next(iter(environments.values()))
        print(f"preparing in {workdir}: database, demo data, claimant, files", flush=True)
        version_id = prepare_database(any_environment)
        warm_up = workdir / "warm-up.pdf"
        write_pdf(warm_up, MiB)
        files = {}
        for size in sizes:
            files[size] = workdir / f"upload-{size}.pdf"
            write_pdf(files[size], size * MiB)
            check_accepted(files[size])
        moto = subprocess.Popen(
            [sys.executable, "-c", MOTO_SERVER, str(moto_port)],
            env=any_environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(f"{moto_endpoint}/moto-api/", moto)

        results: list[Result] = []
        references: dict[int, Result] = {}
        for size in sizes:
            for backend in backends:
                print(f"{backend}: {size} MB through the app ...", end=" ", flush=True)
                result = upload_through_app(
                    backend,
                    size,
                    files[size],
                    warm_up,
                    arguments.repeat,
                    version_id,
                    environments[backend],
                    workdir,
                )
                print(f"{result.seconds:.2f} s", flush=True)
                results.append(result)
            print(f"boto3: {size} MB with upload_file ...", end=" ", flush=True)
            references[size] = upload_with_boto3(
                moto_endpoint, size, files[size], warm_up, arguments.repeat
            )
            print(f"{references[size].seconds:.2f} s", flush=True)
            results.append(references[size])
            files[size].unlink()

        results.sort(key=lambda r: (r.size_mib, r.backend))
        print_table(results, references)
        misses = check_targets(results, references)
        for miss in misses:
            print(f"target missed: {miss}")
        if not misses:
            print("targets met")
        return 1 if misses else 0
    finally:
        if moto is not None:
            stop(moto)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
