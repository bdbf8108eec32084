"""Print the events of one conversation stored in a Mongo tracker store, as JSON (emulator venv).

Usage: python mongo_reader.py URL USER PASSWORD AUTH_SOURCE DB COLLECTION SENDER
"""

import json
import sys

from pymongo import MongoClient

url, user, password, auth_source, db, collection, sender = sys.argv[1:]
client = MongoClient(url, username=user, password=password, authSource=auth_source, serverSelectionTimeoutMS=5000)
doc = client[db][collection].find_one({"sender_id": sender}) or {}
print(json.dumps(doc.get("events", []), default=str))
