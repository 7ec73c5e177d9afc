"""Requests made while a command is in flight are sent together in the next one."""

import asyncio

import pytest

from conveyor_runtime.mongo import STATEMENTS_PER_COMMAND, Batches


class Recorder:
    def __init__(self) -> None:
        self.commands: list[list[int]] = []
        self.release = asyncio.Event()

    async def send(self, requests: list[int]) -> list[int | Exception]:
        self.commands.append(requests)
        await self.release.wait()
        return [ValueError(n) if n < 0 else n * 10 for n in requests]


async def test_the_first_request_is_sent_at_once_and_those_made_meanwhile_go_together() -> None:
    recorder = Recorder()
    batches = Batches(recorder.send)
    first = asyncio.create_task(batches(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert recorder.commands == [[1]]  # not waiting for company
    later = [asyncio.create_task(batches(n)) for n in range(2, 6)]
    await asyncio.sleep(0)
    recorder.release.set()
    assert await first == 10
    assert [await task for task in later] == [20, 30, 40, 50]
    assert recorder.commands == [[1], [2, 3, 4, 5]]


async def test_a_request_that_fails_alone_fails_alone() -> None:
    recorder = Recorder()
    recorder.release.set()
    batches = Batches(recorder.send)
    results = await asyncio.gather(batches(1), batches(-1), batches(2), return_exceptions=True)
    assert (results[0], results[2]) == (10, 20)
    assert isinstance(results[1], ValueError)


async def test_a_failed_command_fails_its_requests_and_the_next_ones_are_still_sent() -> None:
    sent: list[list[int]] = []

    async def flaky(requests: list[int]) -> list[int | Exception]:
        sent.append(requests)
        if len(sent) == 1:
            raise ConnectionError("database away")
        return list(requests)

    batches = Batches(flaky)
    with pytest.raises(ConnectionError):
        await batches(1)
    assert await batches(2) == 2


async def test_a_command_carries_at_most_its_share_of_statements() -> None:
    recorder = Recorder()
    recorder.release.set()
    batches = Batches(recorder.send)
    count = 2 * STATEMENTS_PER_COMMAND + 1
    await asyncio.gather(*(batches(n) for n in range(count)))
    # All made before the sender ran: full commands, then the rest.
    assert [len(command) for command in recorder.commands] == [
        STATEMENTS_PER_COMMAND,
        STATEMENTS_PER_COMMAND,
        1,
    ]
