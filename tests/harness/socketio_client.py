"""A socket.io client of Rasa's socketio channel, run with the Rasa venv's Python (it has
python-socketio's client and aiohttp). Python 3.8 compatible: it runs on both Rasa lines.

    python socketio_client.py URL SESSION_ID MESSAGE [WAIT_SECONDS]

Sends `session_request` with SESSION_ID ("" asks Rasa for a new one), then `user_uttered` with
MESSAGE, and prints one JSON line: {"session_id": ..., "replies": [texts of bot_uttered]}.
"""

import asyncio
import json
import sys

import socketio


async def talk(url, session_id, message, wait):
    client = socketio.AsyncClient()
    confirmed = asyncio.get_running_loop().create_future()
    replies = []

    @client.on("session_confirm")
    async def on_confirm(data):
        sid = data if isinstance(data, str) else (data or {}).get("session_id")
        if not confirmed.done():
            confirmed.set_result(sid)

    @client.on("bot_uttered")
    async def on_reply(data):
        replies.append((data or {}).get("text", ""))

    # Long-polling: the lock's python-engineio client needs a newer aiohttp for its WebSocket.
    await client.connect(url, socketio_path="/socket.io", transports=["polling"])
    try:
        await client.emit("session_request", {"session_id": session_id or None})
        sid = await asyncio.wait_for(confirmed, 30)
        await client.emit("user_uttered", {"message": message, "session_id": sid})
        for _ in range(int(wait * 10)):  # until the first reply, or the deadline
            if replies:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0 if replies else 0)  # a second message of the same turn
        return {"session_id": sid, "replies": replies}
    finally:
        await client.disconnect()


if __name__ == "__main__":
    url, session_id, message = sys.argv[1:4]
    wait = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0
    print(json.dumps(asyncio.run(talk(url, session_id, message, wait))))
