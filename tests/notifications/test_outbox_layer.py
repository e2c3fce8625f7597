"""The embedded channel layer: other processes reach a serving process through the outbox."""

from __future__ import annotations

import subprocess
import sys

from llmasos.channel_layers import OutboxChannelLayer


async def test_a_non_serving_process_reaches_the_servers_groups(tmp_path):
    server = OutboxChannelLayer(outbox_dir=str(tmp_path))
    worker = OutboxChannelLayer(outbox_dir=str(tmp_path))  # stands for another process
    channel = await server.new_channel()
    await server.group_add("user.1", channel)

    await worker.group_send("user.1", {"type": "live.event", "event": {"n": 1}})
    assert len(list(tmp_path.glob("*.json"))) == 1
    assert await server.drain_once() == 1
    assert await server.receive(channel) == {"type": "live.event", "event": {"n": 1}}
    assert list(tmp_path.glob("*")) == []


async def test_a_serving_process_delivers_in_memory_without_touching_disk(tmp_path):
    server = OutboxChannelLayer(outbox_dir=str(tmp_path))
    channel = await server.new_channel()
    await server.group_add("g", channel)
    await server.group_send("g", {"type": "x"})
    assert await server.receive(channel) == {"type": "x"}
    assert list(tmp_path.glob("*")) == []


async def test_expired_and_corrupt_messages_are_dropped(tmp_path):
    server = OutboxChannelLayer(outbox_dir=str(tmp_path), expiry=0)
    channel = await server.new_channel()
    await server.group_add("g", channel)
    OutboxChannelLayer(outbox_dir=str(tmp_path))._post("group", "g", {"type": "late"})
    (tmp_path / "0-broken.json").write_text("{")
    assert await server.drain_once() == 0
    assert list(tmp_path.glob("*")) == []


async def test_a_real_second_process_reaches_this_one(tmp_path):
    server = OutboxChannelLayer(outbox_dir=str(tmp_path))
    channel = await server.new_channel()
    await server.group_add("user.7", channel)
    code = (
        "import asyncio; from llmasos.channel_layers import OutboxChannelLayer as L; "
        f"asyncio.run(L(outbox_dir={str(tmp_path)!r}).group_send('user.7', "
        "{'type': 'live.event', 'event': {'from': 'child'}}))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    await server.drain_once()
    assert (await server.receive(channel))["event"] == {"from": "child"}
