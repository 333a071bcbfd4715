"""Argon2 runs in worker threads: a burst of sign-ins and registrations does not stall the
other requests.

Each sign-in costs one Argon2 verification (about a tenth of a second of CPU), even for
an unknown address, and each registration one hash, even for a taken address. Run in the
event loop, a burst of them queues every other request behind them; run in worker
threads, a health check answers at once meanwhile.

The test's requests share one database connection (each test runs in a transaction that
is rolled back), so the sign-ins and registrations take turns at the app's door, one at a
time: a stream of hashes that the health checks run alongside.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from accounts.passwords import verify_password
from tests.factories import unique
from tests.factories.accounts import PASSWORD
from tests.helpers import csrf_token

SIGN_INS = 4
REGISTRATIONS = 4
TAKING_TURNS = frozenset({"/sign-in", "/register"})
HEALTH_CHECK_INTERVAL_SECONDS = 0.01


def one_verification_seconds() -> float:
    """How long one Argon2 verification takes on this machine now (the best of three)."""
    durations = []
    for _ in range(3):
        started = time.perf_counter()
        verify_password(None, "a long enough passphrase")
        durations.append(time.perf_counter() - started)
    return min(durations)


def one_at_a_time(app: Starlette) -> ASGIApp:
    """Wrap the app so that sign-ins and registrations take turns; every other request goes
    straight in."""
    turn = asyncio.Lock()

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in TAKING_TURNS:
            async with turn:
                await app(scope, receive, send)
        else:
            await app(scope, receive, send)

    return wrapped


async def test_health_check_answers_promptly_during_a_burst_of_sign_ins_and_registrations(
    app: Starlette,
) -> None:
    hashing = one_verification_seconds()
    transport = httpx.ASGITransport(app=one_at_a_time(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await measure(client, hashing)


def probe_health(
    client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop, stop: threading.Event
) -> list[float]:
    """From another thread, as a load balancer would: ask /healthz every few milliseconds
    and time each answer from the moment it was asked, whatever the event loop was doing."""
    latencies = []
    while not stop.is_set():
        started = time.perf_counter()
        response = asyncio.run_coroutine_threadsafe(client.get("/healthz"), loop).result(10)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200
        stop.wait(HEALTH_CHECK_INTERVAL_SECONDS)
    return latencies


async def measure(client: httpx.AsyncClient, hashing: float) -> None:
    token = await csrf_token(client, "/sign-in")

    async def sign_in_attempt() -> httpx.Response:
        email = f"{unique('nobody-')}@example.org"
        data = {"email": email, "password": "a wrong but long passphrase", "csrf_token": token}
        return await client.post("/sign-in", data=data)

    async def registration() -> httpx.Response:
        data = {
            "name": "Jane Doe",
            "email": f"{unique('newcomer-')}@example.org",
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
            "language": "en",
            "csrf_token": token,
        }
        return await client.post("/register", data=data)

    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as prober:
        probing = prober.submit(probe_health, client, asyncio.get_running_loop(), stop)
        try:
            burst = [sign_in_attempt() for _ in range(SIGN_INS)]
            burst += [registration() for _ in range(REGISTRATIONS)]
            responses = await asyncio.gather(*burst)
        finally:
            stop.set()
        latencies = await asyncio.wrap_future(probing)

    statuses = [r.status_code for r in responses]
    assert statuses == [422] * SIGN_INS + [303] * REGISTRATIONS, statuses
    # The burst took long enough for several health checks to run meanwhile.
    assert len(latencies) >= 5, latencies
    median = statistics.median(latencies)
    print(
        f"one verification {hashing * 1000:.0f} ms; {len(latencies)} health checks, "
        f"median {median * 1000:.0f} ms, worst {max(latencies) * 1000:.0f} ms"
    )
    # With Argon2 in the event loop, every hash stalls the health check that arrives during it
    # for up to a whole verification (about two in five checks, here); in worker threads
    # none waits that long.
    stalled = [latency for latency in latencies if latency > hashing / 2]
    assert len(stalled) <= len(latencies) // 10, (hashing, sorted(latencies))
