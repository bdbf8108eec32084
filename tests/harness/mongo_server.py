"""The mongoeco wire-protocol emulator on 127.0.0.1 with one SCRAM user (run by the emulator venv).

Usage: python mongo_server.py PORT USER PASSWORD
"""

import asyncio
import sys

from mongoeco.wire import AsyncMongoEcoProxyServer, WireAuthUser


async def main() -> None:
    port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    users = (WireAuthUser(user, password, "admin"),)
    server = AsyncMongoEcoProxyServer(host="127.0.0.1", port=port, auth_users=users)
    print("mongoeco listening on", await server.start(), flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
